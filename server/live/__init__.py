"""The live core: rooms, connections, the wire, limits, admission, backplanes and the two
endpoints (/ws, /collab) over one serve loop. Imports neither api/, pages/ nor domain/."""
