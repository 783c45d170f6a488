"""Minimal bencode for tests: decode keeps key order and raw bytes, so re-encoding an info
dict reproduces it byte for byte (and the infohash stays the same)."""


def decode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i, out = i + 1, []
        while data[i:i + 1] != b"e":
            v, i = decode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i, out = i + 1, {}
        while data[i:i + 1] != b"e":
            k, i = decode(data, i)
            out[k], i = decode(data, i)
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


def encode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, str):
        return encode(v.encode())
    if isinstance(v, list):
        return b"l" + b"".join(encode(x) for x in v) + b"e"
    return b"d" + b"".join(encode(k) + encode(x) for k, x in v.items()) + b"e"


def loads(data):
    v, end = decode(data)
    assert end == len(data)
    return v
