/*
 * arena.c — the per-document bump allocator (ex_arena_*) and the arena-backed growable array
 * (ex_vec_push) declared in include/enrichd/doc.h.
 *
 * May touch: only the memory of the arena it is given (malloc'd blocks chained from the arena
 * header); no globals, no other part of the document.
 *
 * Layout: the arena header lives in its first block. Each block is one malloc; allocations are
 * bumped from the newest block, 16-byte aligned. A request bigger than a quarter of the normal
 * block size gets a block of its own, chained behind the current one so the current block keeps
 * serving small requests. Blocks grow geometrically (doubling, up to ARENA_MAX_BLOCK) so an
 * arena sized too small for its document still makes O(log n) mallocs.
 *
 * ex_vec_push grows in place when the array is the arena's last allocation and its block has
 * room (the common case: one array being filled in a loop); otherwise it copies into a new area
 * twice as large (the old area is simply abandoned, it is freed with the arena).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrichd/doc.h"

#define ARENA_ALIGN 16u
#define ARENA_MIN_BLOCK 1024u
#define ARENA_MAX_BLOCK (8u << 20) /* growth stops doubling here */

typedef struct arena_block {
    struct arena_block *next; /* older blocks */
    size_t size;              /* usable bytes after the header */
    size_t pos;               /* bytes handed out */
} arena_block;

struct ex_arena {
    arena_block *head;   /* current block (newest normal one) */
    size_t next_size;    /* usable size of the next normal block */
    size_t used;         /* bytes handed out, all blocks */
    void *last;          /* the last allocation of the head block, for in-place growth */
    size_t last_size;    /* its size, rounded up to ARENA_ALIGN */
};

/* Header sizes rounded up so data starts 16-byte aligned (malloc returns 16-aligned memory on
 * the platforms we build for; the rounding keeps that alignment for the data area). */
#define BLOCK_HDR ((sizeof(arena_block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))
#define ARENA_HDR ((sizeof(struct ex_arena) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

static inline unsigned char *block_data(arena_block *b)
{
    return (unsigned char *)b + BLOCK_HDR;
}

static inline size_t round_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static arena_block *block_new(size_t size)
{
    if (size > SIZE_MAX - BLOCK_HDR)
        return NULL;
    arena_block *b = malloc(BLOCK_HDR + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->pos = 0;
    return b;
}

ex_arena *ex_arena_new(size_t first_block)
{
    if (first_block < ARENA_MIN_BLOCK)
        first_block = ARENA_MIN_BLOCK;
    first_block = round_up(first_block);
    /* The first block also carries the arena header: one malloc for a small document. */
    arena_block *b = block_new(ARENA_HDR + first_block);
    if (!b)
        return NULL;
    ex_arena *a = (ex_arena *)block_data(b);
    b->pos = ARENA_HDR;
    a->head = b;
    a->next_size = first_block < ARENA_MAX_BLOCK ? first_block * 2 : ARENA_MAX_BLOCK;
    a->used = 0;
    a->last = NULL;
    a->last_size = 0;
    return a;
}

void ex_arena_destroy(ex_arena *a)
{
    if (!a)
        return;
    /* The header lives inside the oldest block: walk to the end, freeing as we go, and free the
     * block that holds the header last. */
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void *ex_arena_alloc(ex_arena *a, size_t size)
{
    if (!a)
        return NULL;
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size = round_up(size);
    arena_block *b = a->head;
    if (b->size - b->pos >= size) {
        void *p = block_data(b) + b->pos;
        b->pos += size;
        a->used += size;
        a->last = p;
        a->last_size = size;
        return p;
    }
    if (size > a->next_size / 4) {
        /* Large request: a block of its own, slotted behind the head so the head's free space
         * stays in use. */
        arena_block *big = block_new(size);
        if (!big)
            return NULL;
        big->pos = size;
        big->next = b->next;
        b->next = big;
        a->used += size;
        return block_data(big);
    }
    arena_block *nb = block_new(a->next_size);
    if (!nb)
        return NULL;
    if (a->next_size < ARENA_MAX_BLOCK)
        a->next_size *= 2;
    nb->next = b;
    a->head = nb;
    nb->pos = size;
    a->used += size;
    a->last = block_data(nb);
    a->last_size = size;
    return a->last;
}

void *ex_arena_calloc(ex_arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = ex_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *ex_arena_strndup(ex_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = ex_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t ex_arena_used(const ex_arena *a)
{
    return a ? a->used : 0;
}

/* Tries to grow the arena's last allocation p to new_size bytes in place. */
static bool arena_grow_last(ex_arena *a, void *p, size_t new_size)
{
    if (!p || p != a->last)
        return false;
    new_size = round_up(new_size);
    arena_block *b = a->head;
    size_t start = (size_t)((unsigned char *)p - block_data(b));
    if (new_size > b->size - start)
        return false;
    b->pos = start + new_size;
    a->used += new_size - a->last_size;
    a->last_size = new_size;
    return true;
}

void *ex_vec_push(ex_arena *a, ex_vec *v, size_t elem_size)
{
    if (!a || !v || elem_size == 0)
        return NULL;
    if (v->len == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : (elem_size >= 64 ? 4 : 16);
        if (v->cap > UINT32_MAX / 2 || (size_t)cap > SIZE_MAX / elem_size)
            return NULL;
        if (!arena_grow_last(a, v->items, (size_t)cap * elem_size)) {
            void *items = ex_arena_alloc(a, (size_t)cap * elem_size);
            if (!items)
                return NULL;
            if (v->len)
                memcpy(items, v->items, (size_t)v->len * elem_size);
            v->items = items;
        }
        v->cap = cap;
    }
    void *slot = (unsigned char *)v->items + (size_t)v->len * elem_size;
    memset(slot, 0, elem_size);
    v->len++;
    return slot;
}
