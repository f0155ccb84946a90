"""DEFLATE (RFC 1951) and gzip (RFC 1952) decompression in Kernel Python, for gzipped initramfs.

Input and output are raw memory: the compressed bytes at (src, src_len), the output buffer at
(dst, dst_cap), and a caller-provided scratch area of INFLATE_WORK_SIZE bytes for the Huffman
tables and the CRC-32 table (there are no lists in the subset yet).  The input is untrusted:
every read is bounded by src_len, every write by dst_cap, every back-reference by what has
been written, so bad input raises SysError(EINVAL), a full output buffer SysError(ENOSPC).

Huffman codes are canonical (RFC 1951 3.2.2), so a code is decoded one bit at a time from the
number of codes of each length and the symbols sorted by code: simple and table-light, which
suits a boot-time unpacker better than speed does.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, struct, u8, u16, u32, u64
from asterpy.lang.errno import EINVAL, ENOSPC

INFLATE_WORK_SIZE: Final = u64(4096)
MAX_BITS: Final = u32(15)

# Byte offsets of the tables in the work area (u16 entries, u32 for the CRC table).
LENCNT: Final = u64(0)          # codes per length, literal/length code
LENSYM: Final = u64(32)         # 288 symbols
DISTCNT: Final = u64(608)
DISTSYM: Final = u64(640)       # 30 symbols
LENGTHS: Final = u64(704)       # 320 code lengths being read
CLCNT: Final = u64(1344)
CLSYM: Final = u64(1376)        # 19 symbols
OFFS: Final = u64(1440)         # 16 u16: first symbol index per length, while building
CRCTAB: Final = u64(1536)       # 256 u32

GZIP_ID: Final = u16(0x8B1F)    # bytes 1f 8b read little-endian
CM_DEFLATE: Final = u8(8)
FHCRC: Final = u8(2)
FEXTRA: Final = u8(4)
FNAME: Final = u8(8)
FCOMMENT: Final = u8(16)
FRESERVED: Final = u8(0xE0)
CRC32_POLY: Final = u32(0xEDB88320)


@struct
class InflateResult:
    """How many input bytes a stream used and how many output bytes it produced."""

    consumed: u64
    produced: u64


def cl_order(i: u32) -> u64:
    """The i-th symbol in the order code-length code lengths are stored (RFC 1951 3.2.7)."""
    if i < 3:
        return u64(16 + i)              # 16, 17, 18
    if i == 3:
        return u64(0)
    if i == 18:
        return u64(15)
    # Then 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1: alternately 8 + k and 7 - k.
    k = u64(i - 4)
    if (k & 1) == 0:
        return u64(8) + k // 2
    return u64(7) - k // 2


class Inflater:
    """Decoder state: a bit reader over the input and a bounded output cursor."""

    src: u64
    src_len: u64
    pos: u64            # next input byte
    bitbuf: u64         # pending input bits, least significant first
    bitcnt: u32
    dst: u64
    dst_cap: u64
    out: u64            # bytes written
    work: u64

    def __init__(self, src: u64, src_len: u64, dst: u64, dst_cap: u64, work: u64) -> None:
        """Start at the beginning of the input."""
        self.src = src
        self.src_len = src_len
        self.pos = u64(0)
        self.bitbuf = u64(0)
        self.bitcnt = u32(0)
        self.dst = dst
        self.dst_cap = dst_cap
        self.out = u64(0)
        self.work = work

    def bits(self, n: u32) -> u32:
        """The next n (at most 24) bits of input as a number; EINVAL at the end of input."""
        while self.bitcnt < n:
            if self.pos >= self.src_len:
                raise SysError(EINVAL)
            self.bitbuf |= u64(Ptr[u8](self.src + self.pos).load()) << u64(self.bitcnt)
            self.pos += 1
            self.bitcnt += 8
        v = u32(self.bitbuf & ((u64(1) << u64(n)) - 1))
        self.bitbuf >>= u64(n)
        self.bitcnt -= n
        return v

    def put(self, b: u8) -> None:
        """Append one output byte; ENOSPC when the buffer is full."""
        if self.out >= self.dst_cap:
            raise SysError(ENOSPC)
        Ptr[u8](self.dst + self.out).store(b)
        self.out += 1

    def stored(self) -> None:
        """A stored block: skip to a byte boundary, LEN and its complement, LEN raw bytes."""
        # bits() never holds a whole unread byte, so dropping the odd bits aligns to pos.
        self.bitbuf = u64(0)
        self.bitcnt = u32(0)
        length = self.bits(u32(16))
        if self.bits(u32(16)) != (length ^ 0xFFFF):
            raise SysError(EINVAL)
        n = u64(length)
        if n > self.src_len - self.pos:
            raise SysError(EINVAL)
        i = u64(0)
        while i < n:
            self.put(Ptr[u8](self.src + self.pos + i).load())
            i += 1
        self.pos += n

    def build(self, cnt: u64, sym: u64, lengths: u64, n: u32) -> None:
        """Canonical code tables (counts per length, symbols in code order) for n lengths;
        EINVAL if the lengths over-subscribe the code space."""
        w = self.work
        length = u32(0)
        while length <= MAX_BITS:
            Ptr[u16](w + cnt)[u64(length)] = u16(0)
            length += 1
        s = u32(0)
        while s < n:
            length = u32(Ptr[u16](w + lengths)[u64(s)])
            Ptr[u16](w + cnt)[u64(length)] += 1
            s += 1
        # Each length may use at most the codes the shorter ones left free.
        left = u32(1)
        length = u32(1)
        while length <= MAX_BITS:
            left <<= 1
            c = u32(Ptr[u16](w + cnt)[u64(length)])
            if c > left:
                raise SysError(EINVAL)
            left -= c
            length += 1
        # offs[len] = index in sym of the next symbol of that length.
        offs = w + OFFS
        Ptr[u16](offs)[u64(1)] = u16(0)
        length = u32(1)
        while length < MAX_BITS:
            k = u64(length)
            Ptr[u16](offs)[k + 1] = Ptr[u16](offs)[k] + Ptr[u16](w + cnt)[k]
            length += 1
        s = u32(0)
        while s < n:
            k = u64(Ptr[u16](w + lengths)[u64(s)])
            if k != 0:
                slot = Ptr[u16](offs)[k]
                Ptr[u16](w + sym)[u64(slot)] = u16(s)
                Ptr[u16](offs)[k] = slot + 1
            s += 1

    def decode(self, cnt: u64, sym: u64) -> u32:
        """One symbol of the code (cnt, sym); EINVAL for a code the table does not have."""
        code = u32(0)       # the code read so far
        first = u32(0)      # the first code of the current length
        index = u32(0)      # its symbol's index
        length = u32(1)
        while length <= MAX_BITS:
            code |= self.bits(u32(1))
            count = u32(Ptr[u16](self.work + cnt)[u64(length)])
            if code < first + count:
                return u32(Ptr[u16](self.work + sym)[u64(index + (code - first))])
            index += count
            first = (first + count) << 1
            code <<= 1
            length += 1
        raise SysError(EINVAL)

    def codes(self) -> None:
        """Literal/length and distance symbols until end-of-block, with the built tables."""
        while True:
            s = self.decode(LENCNT, LENSYM)
            if s < 256:
                self.put(u8(s))
            elif s == 256:
                return
            else:
                c = s - 257
                if c >= 29:
                    raise SysError(EINVAL)
                if c < 8:
                    length = u64(c + 3)
                elif c == 28:
                    length = u64(258)
                else:
                    extra = (c - 4) // 4
                    length = u64(((4 + (c - 4) % 4) << extra) + 3 + self.bits(extra))
                d = self.decode(DISTCNT, DISTSYM)
                if d >= 30:
                    raise SysError(EINVAL)
                if d < 4:
                    dist = u64(d + 1)
                else:
                    dextra = (d - 2) // 2
                    dist = u64(((2 + d % 2) << dextra) + 1 + self.bits(dextra))
                if dist > self.out:
                    raise SysError(EINVAL)
                # Byte by byte: the source may overlap the bytes being written (runs).
                i = u64(0)
                while i < length:
                    self.put(Ptr[u8](self.dst + self.out - dist).load())
                    i += 1

    def fixed(self) -> None:
        """Build the fixed codes of RFC 1951 3.2.6."""
        lens = Ptr[u16](self.work + LENGTHS)
        s = u32(0)
        while s < 288:
            if s < 144:
                lens[u64(s)] = u16(8)
            elif s < 256:
                lens[u64(s)] = u16(9)
            elif s < 280:
                lens[u64(s)] = u16(7)
            else:
                lens[u64(s)] = u16(8)
            s += 1
        self.build(LENCNT, LENSYM, LENGTHS, u32(288))
        s = u32(0)
        while s < 30:
            lens[u64(s)] = u16(5)
            s += 1
        self.build(DISTCNT, DISTSYM, LENGTHS, u32(30))

    def dynamic(self) -> None:
        """Read the code descriptions of a dynamic block (RFC 1951 3.2.7) and build them."""
        nlen = self.bits(u32(5)) + 257
        ndist = self.bits(u32(5)) + 1
        ncode = self.bits(u32(4)) + 4
        if nlen > 286 or ndist > 30:
            raise SysError(EINVAL)
        lens = Ptr[u16](self.work + LENGTHS)
        i = u32(0)
        while i < 19:
            lens[cl_order(i)] = u16(0)
            i += 1
        i = u32(0)
        while i < ncode:
            lens[cl_order(i)] = u16(self.bits(u32(3)))
            i += 1
        self.build(CLCNT, CLSYM, LENGTHS, u32(19))
        # The literal/length and distance lengths form one sequence; repeats may cross.
        total = nlen + ndist
        i = u32(0)
        while i < total:
            s = self.decode(CLCNT, CLSYM)
            if s < 16:
                lens[u64(i)] = u16(s)
                i += 1
            else:
                value = u16(0)
                if s == 16:
                    if i == 0:
                        raise SysError(EINVAL)
                    value = lens[u64(i - 1)]
                    rep = 3 + self.bits(u32(2))
                elif s == 17:
                    rep = 3 + self.bits(u32(3))
                else:
                    rep = 11 + self.bits(u32(7))
                if rep > total - i:
                    raise SysError(EINVAL)
                while rep > 0:
                    lens[u64(i)] = value
                    i += 1
                    rep -= 1
        if lens[256] == 0:
            raise SysError(EINVAL)          # a block must be able to end
        self.build(LENCNT, LENSYM, LENGTHS, nlen)
        # The distance lengths follow the literal ones: build from that offset.
        self.build(DISTCNT, DISTSYM, LENGTHS + u64(nlen) * 2, ndist)

    def run(self) -> None:
        """Decode blocks until the one marked last."""
        while True:
            last = self.bits(u32(1))
            kind = self.bits(u32(2))
            if kind == 0:
                self.stored()
            elif kind == 1:
                self.fixed()
                self.codes()
            elif kind == 2:
                self.dynamic()
                self.codes()
            else:
                raise SysError(EINVAL)
            if last == 1:
                return


def inflate(src: u64, src_len: u64, dst: u64, dst_cap: u64, work: u64) -> InflateResult:
    """Decompress the raw DEFLATE stream at src into dst, with INFLATE_WORK_SIZE scratch bytes
    at work; EINVAL for bad input, ENOSPC if dst_cap is too small."""
    st = Inflater(src, src_len, dst, dst_cap, work)
    st.run()
    r = InflateResult()
    r.consumed = st.pos         # the last block ends inside its last byte
    r.produced = st.out
    return r


def crc32(addr: u64, n: u64, work: u64) -> u32:
    """CRC-32 (the gzip/zlib one) of n bytes at addr, using a table built in work."""
    tab = Ptr[u32](work + CRCTAB)
    i = u32(0)
    while i < 256:
        c = i
        for _ in range(8):
            if (c & 1) != 0:
                c = CRC32_POLY ^ (c >> 1)
            else:
                c >>= 1
        tab[u64(i)] = c
        i += 1
    crc = u32(0xFFFFFFFF)
    p = Ptr[u8](addr)
    j = u64(0)
    while j < n:
        crc = tab[u64((crc ^ u32(p[j])) & 0xFF)] ^ (crc >> 8)
        j += 1
    return crc ^ 0xFFFFFFFF


def le32(addr: u64) -> u32:
    """The little-endian u32 at addr, read bytewise (gzip fields are unaligned)."""
    p = Ptr[u8](addr)
    return u32(p[0]) | (u32(p[1]) << 8) | (u32(p[2]) << 16) | (u32(p[3]) << 24)


def skip_cstring(src: u64, src_len: u64, pos: u64) -> u64:
    """The offset just past the NUL-terminated string at pos; EINVAL if it runs off the end."""
    p = Ptr[u8](src)
    while pos < src_len:
        if p[pos] == 0:
            return pos + 1
        pos += 1
    raise SysError(EINVAL)


def gunzip(src: u64, src_len: u64, dst: u64, dst_cap: u64, work: u64) -> InflateResult:
    """Decompress one gzip member at src (header, DEFLATE data, CRC-32 and size checked);
    consumed tells where a following member would start."""
    if src_len < 18:
        raise SysError(EINVAL)
    p = Ptr[u8](src)
    if (u16(p[0]) | (u16(p[1]) << 8)) != GZIP_ID or p[2] != CM_DEFLATE:
        raise SysError(EINVAL)
    flags = p[3]
    if (flags & FRESERVED) != 0:
        raise SysError(EINVAL)
    pos = u64(10)                   # after ID, CM, FLG, MTIME, XFL, OS
    if (flags & FEXTRA) != 0:
        xlen = u64(p[10]) | (u64(p[11]) << 8)
        if xlen > src_len - 12:
            raise SysError(EINVAL)
        pos = 12 + xlen
    if (flags & FNAME) != 0:
        pos = skip_cstring(src, src_len, pos)
    if (flags & FCOMMENT) != 0:
        pos = skip_cstring(src, src_len, pos)
    if (flags & FHCRC) != 0:
        pos += 2
    if pos > src_len - 8:
        raise SysError(EINVAL)
    # The trailer is not part of the DEFLATE input, so the stream cannot read into it.
    r = inflate(src + pos, src_len - 8 - pos, dst, dst_cap, work)
    end = pos + r.consumed
    if le32(src + end) != crc32(dst, r.produced, work) or le32(src + end + 4) != u32(r.produced):
        raise SysError(EINVAL)
    r.consumed = end + 8
    return r


def gzip_size_hint(src: u64, src_len: u64) -> u64:
    """The uncompressed size a single-member gzip file claims (ISIZE, modulo 2**32); untrusted,
    for sizing the output buffer.  EINVAL if the input is too short to be gzip."""
    if src_len < 18:
        raise SysError(EINVAL)
    return u64(le32(src + src_len - 4))
