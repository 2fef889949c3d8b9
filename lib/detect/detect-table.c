/*
 * Fixed-capacity hash tables for the detectors (see detect-table.h).
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect-table.h"
#include "fenghuo/util.h"

/* Eight bytes at a time with a multiply-xorshift mix: keys are 17 to 35
 * bytes, and this runs several times per packet. */
static uint64_t hash_key(const uint8_t *k, size_t n)
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
    memcpy(&w, k, n);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

void fh__dtab_init(struct fh__dtab *t, size_t esize, size_t klen, size_t max)
{
    size_t cap = 16;
    while (cap < max * 2)
        cap *= 2;
    t->slots = fh_xcalloc(cap, esize);
    t->esize = esize;
    t->klen = klen;
    t->mask = cap - 1;
    t->count = 0;
    t->max = max;
}

void fh__dtab_cleanup(struct fh__dtab *t)
{
    free(t->slots);
    t->slots = NULL;
}

void fh__dtab_prefetch(const struct fh__dtab *t, const void *key)
{
    size_t i = hash_key(key, t->klen) & t->mask;
    const uint8_t *slot = t->slots + i * t->esize;
    __builtin_prefetch(slot, 1);
    __builtin_prefetch(slot + t->esize - 1, 1); /* an entry may span two lines */
}

/* The slot holding key, or the empty slot where it would go: *found says
 * which. The table always has empty slots (capacity >= 2 x max). */
static size_t probe(const struct fh__dtab *t, const void *key, bool *found)
{
    size_t i = hash_key(key, t->klen) & t->mask;
    while (fh__dtab_used(t, i)) {
        if (memcmp(fh__dtab_at(t, i), key, t->klen) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & t->mask;
    }
    *found = false;
    return i;
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
        size_t home = hash_key(fh__dtab_at(t, j), t->klen) & t->mask;
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays)
            continue;
        memcpy(fh__dtab_at(t, hole), fh__dtab_at(t, j), t->esize);
        memset(fh__dtab_at(t, j), 0, t->esize);
        hole = j;
    }
}
