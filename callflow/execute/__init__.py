"""Execute a flow: real SIP/H.248 datagrams between loopback entities, RTP and a pcap."""
