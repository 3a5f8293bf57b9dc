"""Where each entity lives on the wire: its loopback address and its ports.

Entities get ``127.0.0.11``, ``127.0.0.12``, ... in declaration order, unless their ``addr``
attribute names an address. SIP uses port 5060, H.248 port 2944, every other protocol the
callflow text port 7060 (``CALLFLOW/1`` datagrams). An entity given to ``--external`` is
played by a real peer at the given host and port, for every protocol it speaks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from callflow import ir

SIP_PORT = 5060
H248_PORT = 2944
GENERIC_PORT = 7060
FIRST_HOST = 11  # 127.0.0.11 for the first entity
RTP_BASE_PORT = 20000

Protocol = str  # "sip" | "h248" | any other protocol name (sent as CALLFLOW/1 text)
Address = tuple[str, int]


class AddressError(ValueError):
    """An ``addr`` attribute or ``--external`` value that is not usable."""


def protocol_of(message: ir.Message) -> Protocol:
    """``sip``, ``h248`` or the message's other protocol (``callflow`` when it names none)."""
    if message.is_sip:
        return "sip"
    protocol = message.protocol
    if protocol in ("h248", "megaco", "h.248"):
        return "h248"
    return protocol or "callflow"


def parse_host_port(text: str) -> Address:
    """``HOST:PORT`` (``[v6]:PORT`` too) as a pair; raises AddressError."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise AddressError(f"{text!r} is not HOST:PORT")
    return host, int(port)


@dataclass(frozen=True)
class AddressPlan:
    """Every entity's IP address and ports, and who a source address belongs to."""

    hosts: Mapping[str, str]
    external: Mapping[str, Address] = field(default_factory=dict)
    sip_port: int = SIP_PORT
    h248_port: int = H248_PORT
    generic_port: int = GENERIC_PORT
    rtp_base: int = RTP_BASE_PORT  # the first entity's RTP port; each next one's is 2 higher

    def port(self, protocol: Protocol) -> int:
        if protocol == "sip":
            return self.sip_port
        if protocol == "h248":
            return self.h248_port
        return self.generic_port

    def address(self, entity: str, protocol: Protocol) -> Address:
        """Where ``entity`` receives ``protocol`` (an external peer's own address)."""
        if entity in self.external:
            return self.external[entity]
        return self.hosts[entity], self.port(protocol)

    def is_external(self, entity: str) -> bool:
        return entity in self.external

    def owner_of_host(self, host: str) -> str | None:
        """The entity callflow plays at ``host`` (None for an address of nobody's)."""
        for entity, address in self.hosts.items():
            if address == host and entity not in self.external:
                return entity
        return None

    def owners(self, protocols: Sequence[Protocol]) -> dict[Address, str]:
        """Source address -> entity, for every entity and protocol."""
        table: dict[Address, str] = {}
        for entity in self.hosts:
            for protocol in protocols:
                table[self.address(entity, protocol)] = entity
        return table

    def rtp_port(self, entity: str) -> int:
        """The (even) RTP port an entity offers for its media."""
        names = list(self.hosts)
        return self.rtp_base + 2 * names.index(entity) if entity in self.hosts else self.rtp_base


def executable_architecture(
    architecture: ir.Architecture, scenario: ir.Scenario
) -> ir.Architecture:
    """The entities a run plays: the declared ones, then EventStudio's environment edges
    (``env_l``, ``env_r``) as entities of their own when a message of the scenario names
    them, so that "from the outside world" is a real peer on loopback too."""
    used = {
        name.text
        for message in scenario.messages()
        for name in message.entity_names()
        if name.text in ir.ENVIRONMENT_EDGES
    }
    if not used:
        return architecture
    side = {"env_l": "left", "env_r": "right"}
    extra = tuple(
        ir.Entity(name, f"Environment ({side[name]})", None, "eternal", (), ir.UNKNOWN_LOCATION)
        for name in sorted(used)
    )
    return replace(architecture, entities=architecture.entities + extra)


def plan_addresses(
    architecture: ir.Architecture,
    *,
    external: Mapping[str, Address] | None = None,
    sip_port: int = SIP_PORT,
    h248_port: int = H248_PORT,
    generic_port: int = GENERIC_PORT,
    rtp_port: int = RTP_BASE_PORT,
) -> AddressPlan:
    """Addresses in declaration order from 127.0.0.11, or each entity's ``addr``."""
    hosts: dict[str, str] = {}
    taken: dict[str, str] = {}
    for entity in architecture.entities:
        addr = entity.attribute("addr")
        if addr is not None:
            try:
                ipaddress.IPv4Address(addr)
            except ValueError:
                raise AddressError(
                    f"{entity.name}: addr={addr!r} is not an IPv4 address (such as 127.0.0.20)"
                ) from None
            hosts[entity.name] = addr
            taken[addr] = entity.name
    next_host = FIRST_HOST
    for entity in architecture.entities:
        if entity.name in hosts:
            continue
        while f"127.0.0.{next_host}" in taken:
            next_host += 1
        if next_host > 254:
            raise AddressError("more than 244 entities: give some of them an addr attribute")
        hosts[entity.name] = f"127.0.0.{next_host}"
        taken[hosts[entity.name]] = entity.name
        next_host += 1
    seen: dict[str, str] = {}
    for name, host in hosts.items():
        if host in seen:
            raise AddressError(f"{name} and {seen[host]} both have address {host}")
        seen[host] = name
    return AddressPlan(
        hosts=hosts,
        external=dict(external or {}),
        sip_port=sip_port,
        h248_port=h248_port,
        generic_port=generic_port,
        rtp_base=rtp_port,
    )
