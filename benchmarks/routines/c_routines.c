/* Reference C versions of the Kernel Python benchmark routines (same algorithms, no libc calls). */
#include <stdint.h>

/*
 * Every routine carries no_builtin so clang's loop-idiom pass cannot turn a byte loop into a
 * call to libc's memcpy/memset: the point is to compare the same loops, not libc against us.
 */
#define ROUTINE __attribute__((no_builtin))

#define CRC_POLY 0xEDB88320u
#define HASH_MUL 0x9E3779B97F4A7C15ull
#define BYTE_SPLAT 0x0101010101010101ull

/* Item: the C twin of the @struct Item in kpy_routines.py (24 bytes, natural alignment). */
typedef struct {
    uint32_t id;
    uint16_t flags;
    uint8_t kind;
    uint8_t pad;
    uint64_t size;
    uint64_t next;
} Item;

_Static_assert(sizeof(Item) == 24, "Item must match the Kernel Python layout");

/* Copy n bytes (no overlap); when dst and src share their alignment, the middle moves by 8-byte words. */
ROUTINE void c_memcpy(uint64_t dst, uint64_t src, uint64_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    uint64_t i = 0;
    if (((dst ^ src) & 7) == 0) {
        while (i < n && ((dst + i) & 7) != 0) {
            d[i] = s[i];
            i++;
        }
        uint64_t *dw = (uint64_t *)(dst + i);
        const uint64_t *sw = (const uint64_t *)(src + i);
        uint64_t words = (n - i) >> 3;
        for (uint64_t j = 0; j < words; j++) {
            dw[j] = sw[j];
        }
        i += words << 3;
    }
    while (i < n) {
        d[i] = s[i];
        i++;
    }
}

/* Fill n bytes with the low byte of c; the aligned middle is filled by 8-byte words. */
ROUTINE void c_memset(uint64_t dst, uint64_t c, uint64_t n) {
    uint8_t *d = (uint8_t *)dst;
    uint8_t b = (uint8_t)(c & 0xFF);
    uint64_t i = 0;
    while (i < n && ((dst + i) & 7) != 0) {
        d[i] = b;
        i++;
    }
    uint64_t *dw = (uint64_t *)(dst + i);
    uint64_t word = (uint64_t)b * BYTE_SPLAT;
    uint64_t words = (n - i) >> 3;
    for (uint64_t j = 0; j < words; j++) {
        dw[j] = word;
    }
    i += words << 3;
    while (i < n) {
        d[i] = b;
        i++;
    }
}

/* Eight shift-and-xor steps of the reflected CRC-32: what one table entry precomputes. */
static inline uint32_t crc32_byte_step(uint32_t crc) {
    for (int k = 0; k < 8; k++) {
        /* mask is all ones when the low bit is set: a branch-free conditional xor */
        uint32_t mask = 0u - (crc & 1u);
        crc = (crc >> 1) ^ (CRC_POLY & mask);
    }
    return crc;
}

/* CRC-32/IEEE (reflected, poly 0xEDB88320, init and final xor 0xFFFFFFFF), one bit at a time. */
ROUTINE uint32_t c_crc32(uint64_t buf, uint64_t n) {
    const uint8_t *p = (const uint8_t *)buf;
    uint32_t crc = 0xFFFFFFFFu;
    for (uint64_t i = 0; i < n; i++) {
        crc = crc32_byte_step(crc ^ p[i]);
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Fill a 256-entry u32 table at `table` for the table-driven CRC-32. */
ROUTINE void c_crc32_init(uint64_t table) {
    uint32_t *t = (uint32_t *)table;
    for (uint64_t b = 0; b < 256; b++) {
        t[b] = crc32_byte_step((uint32_t)b);
    }
}

/* CRC-32/IEEE one byte at a time through the table filled by c_crc32_init. */
ROUTINE uint32_t c_crc32_table(uint64_t table, uint64_t buf, uint64_t n) {
    const uint32_t *t = (const uint32_t *)table;
    const uint8_t *p = (const uint8_t *)buf;
    uint32_t crc = 0xFFFFFFFFu;
    for (uint64_t i = 0; i < n; i++) {
        crc = t[(uint64_t)(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Index of the lowest set bit of x (x != 0), found by halving: no ctz builtin, like the Kernel Python version. */
static inline uint64_t lowest_set_bit(uint64_t x) {
    uint64_t bit = 0;
    if ((x & 0xFFFFFFFFull) == 0) { bit += 32; x >>= 32; }
    if ((x & 0xFFFFull) == 0) { bit += 16; x >>= 16; }
    if ((x & 0xFFull) == 0) { bit += 8; x >>= 8; }
    if ((x & 0xFull) == 0) { bit += 4; x >>= 4; }
    if ((x & 0x3ull) == 0) { bit += 2; x >>= 2; }
    if ((x & 0x1ull) == 0) { bit += 1; }
    return bit;
}

/* Index of the lowest zero bit in nwords u64 words (bit i of word w is index 64*w+i), or -1. */
ROUTINE int64_t c_bitmap_first_zero(uint64_t words, uint64_t nwords) {
    const uint64_t *w = (const uint64_t *)words;
    for (uint64_t i = 0; i < nwords; i++) {
        uint64_t inv = ~w[i];
        if (inv != 0) {
            return (int64_t)(i * 64 + lowest_set_bit(inv));
        }
    }
    return -1;
}

/* First probe slot for key in a table of cap (a power of two) slots: multiplicative hash. */
static inline uint64_t hash_slot(uint64_t key, uint64_t cap) {
    uint64_t h = key * HASH_MUL;
    return (h ^ (h >> 32)) & (cap - 1);
}

/* Insert or update key (!= 0) in an open-addressing table of (key, value) u64 pairs; returns the slot, or cap when full. */
ROUTINE uint64_t c_hash_insert(uint64_t table, uint64_t cap, uint64_t key, uint64_t value) {
    uint64_t *t = (uint64_t *)table;
    uint64_t slot = hash_slot(key, cap);
    for (uint64_t probes = 0; probes < cap; probes++) {
        uint64_t k = t[2 * slot];
        if (k == key || k == 0) {
            t[2 * slot] = key;
            t[2 * slot + 1] = value;
            return slot;
        }
        slot = (slot + 1) & (cap - 1);
    }
    return cap;
}

/* Value stored for key (!= 0) in the table, or 0 when absent. */
ROUTINE uint64_t c_hash_lookup(uint64_t table, uint64_t cap, uint64_t key) {
    const uint64_t *t = (const uint64_t *)table;
    uint64_t slot = hash_slot(key, cap);
    for (uint64_t probes = 0; probes < cap; probes++) {
        uint64_t k = t[2 * slot];
        if (k == key) {
            return t[2 * slot + 1];
        }
        if (k == 0) {
            return 0;
        }
        slot = (slot + 1) & (cap - 1);
    }
    return 0;
}

/* Over n Items: sum size + kind of those with flags bit 0, mark them with flags bit 1 and the running sum. */
ROUTINE uint64_t c_struct_loop(uint64_t arr, uint64_t n) {
    Item *p = (Item *)arr;
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        Item item = p[i];
        if ((item.flags & 1) != 0) {
            total += item.size + item.kind;
            item.flags = (uint16_t)(item.flags | 2);
            item.next = total;
            p[i] = item;
        }
    }
    return total;
}
