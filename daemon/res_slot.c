/*
 * res_slot.c — reference-counted resources behind a mutex (see res_slot.h). The lock is held only
 * to read or replace one pointer; unref of the old object happens outside it.
 * May touch: the slot and ex_resources reference counts.
 */
#include "res_slot.h"

int ed_res_slot_init(ed_res_slot *slot, ex_resources *res)
{
    if (pthread_mutex_init(&slot->mu, NULL) != 0)
        return -1;
    slot->current = res;
    return 0;
}

void ed_res_slot_destroy(ed_res_slot *slot)
{
    ex_resources_unref(slot->current);
    slot->current = NULL;
    pthread_mutex_destroy(&slot->mu);
}

ex_resources *ed_res_slot_acquire(ed_res_slot *slot)
{
    pthread_mutex_lock(&slot->mu);
    ex_resources *res = ex_resources_ref(slot->current);
    pthread_mutex_unlock(&slot->mu);
    return res;
}

void ed_res_slot_swap(ed_res_slot *slot, ex_resources *res)
{
    pthread_mutex_lock(&slot->mu);
    ex_resources *old = slot->current;
    slot->current = res;
    pthread_mutex_unlock(&slot->mu);
    ex_resources_unref(old);
}
