"""Execute a flow: real SIP/H.248 datagrams between loopback entities, RTP and a pcap.

``engine`` runs a scenario (:func:`callflow.execute.engine.run_scenario`, ``RunOptions``,
``ScenarioRun``); ``transactions`` holds the RFC 3261 / H.248 Annex D.1 retransmission
state; ``addresses`` the entities' addresses and ports; ``report`` the text/JSON reports
and the executed diagram; ``uas`` a SIPp-like UAS for trying ``--external``. The wire
formats: ``sipwire``, ``sdp``, ``bodies``, ``h248``, ``pcap``.
"""
