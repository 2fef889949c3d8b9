/*
 * Fixed-capacity open-addressing hash tables for the detectors.
 *
 * Each entry starts with its key (klen bytes) followed by a `used` byte; the
 * rest is the user's. The capacity is fixed at creation (twice the maximum
 * count, a power of two), so lookups and inserts never allocate; removal uses
 * backward shifting, so no tombstones accumulate. Tables of 4 MB and more are
 * mapped on their own and marked for transparent huge pages: their lookups
 * land anywhere in the table, and with 4 KB pages nearly every one would miss
 * the TLB as well as the cache. Slots start on a 64-byte boundary, so an
 * entry whose size is a multiple of 64 occupies whole cache lines.
 */
#ifndef FENGHUO_DETECT_TABLE_H
#define FENGHUO_DETECT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fh__dtab {
    uint8_t *slots;
    size_t esize; /* bytes per entry */
    size_t klen;  /* key bytes at the start of an entry; byte klen is `used` */
    size_t mask;  /* capacity - 1 */
    size_t count;
    size_t max;     /* most entries allowed */
    size_t map_len; /* slots were mmap'd (large tables), this many bytes; 0: calloc'd */
    size_t fetch;   /* bytes at the start of an entry fh__dtab_prefetch fetches */
    void *alloc;    /* what calloc returned (slots is it rounded up to 64 bytes) */
};

void fh__dtab_init(struct fh__dtab *t, size_t esize, size_t klen, size_t max);
void fh__dtab_cleanup(struct fh__dtab *t);
/* Makes fh__dtab_prefetch fetch only the first `bytes` of an entry (at most
 * two cache lines; the default is the whole entry up to two lines): for
 * entries whose fields read on every lookup come first. */
void fh__dtab_set_fetch(struct fh__dtab *t, size_t bytes);
/* Asks the CPU to fetch the slot where key would be (no effect on the
 * table): a caller that knows its next keys hides the cache miss. */
void fh__dtab_prefetch(const struct fh__dtab *t, const void *key);
/* The entry with this key, or NULL. */
void *fh__dtab_find(const struct fh__dtab *t, const void *key);
/* The entry with this key, created zeroed (key set, used) when absent; NULL
 * when absent and the table holds max entries. *created says which. */
void *fh__dtab_upsert(struct fh__dtab *t, const void *key, bool *created);
/* Removes the entry at slot index i. Another entry may move into slot i:
 * a caller walking the table should look at slot i again. */
void fh__dtab_remove_at(struct fh__dtab *t, size_t i);
static inline size_t fh__dtab_capacity(const struct fh__dtab *t)
{
    return t->mask + 1;
}
static inline void *fh__dtab_at(const struct fh__dtab *t, size_t i)
{
    return t->slots + i * t->esize;
}
static inline bool fh__dtab_used(const struct fh__dtab *t, size_t i)
{
    return t->slots[i * t->esize + t->klen] != 0;
}

#endif
