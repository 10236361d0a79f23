/*
 * res_slot.h — the daemon's current extraction resources, swappable on SIGHUP.
 * The slot owns one reference to the current ex_resources. Workers take their own reference per
 * article (ed_res_slot_acquire) and drop it when done, so a swap never pulls resources from under
 * in-flight work: the old object is freed when its last article finishes.
 * May touch: its mutex and the reference counts of ex_resources; nothing else.
 */
#ifndef ENRICHD_RES_SLOT_H
#define ENRICHD_RES_SLOT_H

#include <pthread.h>

#include "enrichd/extract.h"

typedef struct ed_res_slot {
    pthread_mutex_t mu;
    ex_resources *current; /* one reference owned by the slot */
} ed_res_slot;

/* Takes ownership of res (one reference). Returns 0 or -1. */
int ed_res_slot_init(ed_res_slot *slot, ex_resources *res);
/* Drops the slot's reference. */
void ed_res_slot_destroy(ed_res_slot *slot);
/* A new reference to the current resources; the caller ex_resources_unref's it. */
ex_resources *ed_res_slot_acquire(ed_res_slot *slot);
/* Installs res (takes its reference) and drops the slot's reference to the previous one. */
void ed_res_slot_swap(ed_res_slot *slot, ex_resources *res);

#endif
