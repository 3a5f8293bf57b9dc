"""Media for executed flows: G.711 codecs, RTP, participants' voices and the conference mixer.

Everything here is pure computation on NumPy arrays and bytes (no sockets, no event loop):
the executor (:mod:`callflow.execute.media`) puts it on the wire.
"""
