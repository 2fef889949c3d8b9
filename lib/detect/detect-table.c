/*
 * Fixed-capacity hash tables for the detectors (see detect-table.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "detect/detect-table.h"
#include "fenghuo/util.h"

/* Eight bytes at a time with a multiply-xorshift mix: keys are 17 to 35
 * bytes, and this runs several times per packet. The tail is gathered byte
 * by byte: a memcpy of a length known only at run time is a library call. */
static inline __attribute__((always_inline)) uint64_t hash_key(const uint8_t *k, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, k, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        k += 8, n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)k[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

/* Key equality, eight bytes at a time (keys are short and fixed-size; a
 * memcmp call costs more than the comparison). */
static inline __attribute__((always_inline)) bool key_equal(const uint8_t *a, const uint8_t *b,
                                                            size_t n)
{
    uint64_t diff = 0;
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        diff |= x ^ y;
        a += 8, b += 8, n -= 8;
    }
    for (size_t i = 0; i < n; i++)
        diff |= (uint64_t)(a[i] ^ b[i]);
    return diff == 0;
}

/* The home slot of key. */
static size_t home_of(const struct fh__dtab *t, const void *key)
{
    switch (t->klen) {
    case 17:
        return hash_key(key, 17) & t->mask;
    case 35:
        return hash_key(key, 35) & t->mask;
    default:
        return hash_key(key, t->klen) & t->mask;
    }
}

#define HUGE_PAGE  ((size_t)2 << 20)
#define HUGE_TABLE ((size_t)4 << 20)

/* Anonymous memory (zeroed by the kernel, committed page by page as it is
 * touched) aligned to 2 MB and marked MADV_HUGEPAGE; NULL if mmap fails. The
 * mark is advice: where THP is off the table still works with 4 KB pages. */
static uint8_t *map_huge(size_t bytes, size_t *map_len)
{
    size_t len = bytes + HUGE_PAGE;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    size_t lead = (HUGE_PAGE - ((uintptr_t)m & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
    if (lead)
        munmap(m, lead);
    size_t tail = len - lead - bytes;
    if (tail)
        munmap(m + lead + bytes, tail);
    (void)madvise(m + lead, bytes, MADV_HUGEPAGE);
    *map_len = bytes;
    return m + lead;
}

#define LINE ((size_t)64)

void fh__dtab_init(struct fh__dtab *t, size_t esize, size_t klen, size_t max)
{
    size_t cap = 16;
    while (cap < max * 2)
        cap *= 2;
    t->map_len = 0;
    t->slots = NULL;
    t->alloc = NULL;
    if (cap * esize >= HUGE_TABLE)
        t->slots = map_huge(cap * esize, &t->map_len);
    if (t->slots == NULL) {
        /* calloc aligns to 16 bytes: take one line more and round up. */
        t->alloc = fh_xcalloc(cap * esize + LINE, 1);
        uintptr_t a = (uintptr_t)t->alloc;
        t->slots = (uint8_t *)t->alloc + ((LINE - (a & (LINE - 1))) & (LINE - 1));
    }
    t->esize = esize;
    t->klen = klen;
    t->mask = cap - 1;
    t->count = 0;
    t->max = max;
    t->fetch = esize;
}

void fh__dtab_set_fetch(struct fh__dtab *t, size_t bytes)
{
    t->fetch = bytes >= 1 && bytes <= t->esize ? bytes : t->esize;
}

void fh__dtab_cleanup(struct fh__dtab *t)
{
    if (t->map_len)
        munmap(t->slots, t->map_len);
    else
        free(t->alloc);
    t->map_len = 0;
    t->slots = NULL;
    t->alloc = NULL;
}

void fh__dtab_prefetch(const struct fh__dtab *t, const void *key)
{
    size_t i = home_of(t, key);
    const uint8_t *slot = t->slots + i * t->esize;
    __builtin_prefetch(slot, 1);
    __builtin_prefetch(slot + t->fetch - 1, 1); /* an entry may span two lines */
}

/* The slot holding key, or the empty slot where it would go: *found says
 * which. The table always has empty slots (capacity >= 2 x max). Inlined with
 * the key length as a constant for the detectors' keys (17 and 35 bytes),
 * the hash and the comparison become straight-line code. */
static inline __attribute__((always_inline)) size_t
probe_n(const struct fh__dtab *t, const void *key, size_t klen, bool *found)
{
    size_t i = hash_key(key, klen) & t->mask;
    while (fh__dtab_used(t, i)) {
        if (key_equal(fh__dtab_at(t, i), key, klen)) {
            *found = true;
            return i;
        }
        i = (i + 1) & t->mask;
    }
    *found = false;
    return i;
}

static size_t probe(const struct fh__dtab *t, const void *key, bool *found)
{
    switch (t->klen) {
    case 17:
        return probe_n(t, key, 17, found);
    case 35:
        return probe_n(t, key, 35, found);
    default:
        return probe_n(t, key, t->klen, found);
    }
}

void *fh__dtab_find(const struct fh__dtab *t, const void *key)
{
    bool found;
    size_t i = probe(t, key, &found);
    return found ? fh__dtab_at(t, i) : NULL;
}

void *fh__dtab_upsert(struct fh__dtab *t, const void *key, bool *created)
{
    bool found;
    size_t i = probe(t, key, &found);
    *created = false;
    if (found)
        return fh__dtab_at(t, i);
    if (t->count >= t->max)
        return NULL;
    uint8_t *e = fh__dtab_at(t, i);
    memset(e, 0, t->esize);
    memcpy(e, key, t->klen);
    e[t->klen] = 1;
    t->count++;
    *created = true;
    return e;
}

void fh__dtab_remove_at(struct fh__dtab *t, size_t i)
{
    /* Backward shift: pull later entries of the same probe run into the hole
     * when their home slot does not lie cyclically between hole and them. */
    memset(fh__dtab_at(t, i), 0, t->esize);
    t->count--;
    size_t hole = i;
    for (size_t j = (i + 1) & t->mask; fh__dtab_used(t, j); j = (j + 1) & t->mask) {
        size_t home = home_of(t, fh__dtab_at(t, j));
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays)
            continue;
        memcpy(fh__dtab_at(t, hole), fh__dtab_at(t, j), t->esize);
        memset(fh__dtab_at(t, j), 0, t->esize);
        hole = j;
    }
}
