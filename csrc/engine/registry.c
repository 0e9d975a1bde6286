/* registry.c - every scheme the engine knows, in `list` order, with the ops table's defaults filled in; and
 * the two entry points that name an arena's scheme by its index (creating it, mapping it in a process), so
 * that the layers below get the table from the process's context and never look a scheme up. */
#include <stdio.h>

#include "engine.h"

#define SCHEMES(X)                                                                                          \
    X(scheme_global_lock) X(scheme_task_lock) X(scheme_rcu_typesafe) X(scheme_rcu_deferred) X(scheme_refcount) \
    X(scheme_seqcount) X(scheme_unsynchronized) X(scheme_busted_gp) X(scheme_busted_no_revalidate)          \
    X(scheme_busted_publish_before_init) X(scheme_busted_slab_no_rcu) X(scheme_busted_no_read_lock)        \
    X(scheme_busted_refcount) X(scheme_busted_task_lock)

#define DECLARE(s) extern const struct harness_scheme s;
#define ADDRESS(s) &s,
SCHEMES(DECLARE)

static const struct harness_scheme *const builtin[] = {
#ifdef HARNESS_USER_SCHEME
    &harness_user_scheme,
#endif
    SCHEMES(ADDRESS)
};
#define NSCHEMES ((int)(sizeof(builtin) / sizeof(builtin[0])))

static struct harness_scheme table[NSCHEMES];

__attribute__((constructor)) static void fill_defaults(void)
{
    for (int i = 0; i < NSCHEMES; i++) {
        table[i] = *builtin[i];
        if (!table[i].create)
            table[i].create = h_cpuset_create;   /* .synchronize / .call_rcu unset: the arena's own */
    }
}

const struct harness_scheme *h_scheme(int i) { return &table[i]; }
int h_scheme_count(void) { return NSCHEMES; }
const char *h_scheme_name(int i) { return table[i].name; }
const char *h_scheme_summary(int i) { return table[i].summary ? table[i].summary : ""; }
int h_scheme_flags(int i) { return table[i].flags; }
const char *h_scheme_expected(int i) { return table[i].expected ? table[i].expected : ""; }

const char *h_scheme_missing(int i)
{
    const struct harness_scheme *s = &table[i];
    if (!s->name)
        return "name";
    if (!s->chunk[0][0][0])
        return "chunk (the reader loops HARNESS_SCHEME() defines)";
    if (!s->attach)
        return "attach";
    if (!s->destroy)
        return "destroy";
    return NULL;
}

int h_arena_create(const struct h_params *p, char *err, int errlen)
{
    if (p->scheme < 0 || p->scheme >= NSCHEMES) {
        snprintf(err, (size_t)errlen, "invalid arena parameters");
        return -1;
    }
    if (table[p->scheme].shared_size > H_SCHEME_SHARED_MAX) {
        snprintf(err, (size_t)errlen, "scheme %s asks for %zu bytes of shared memory (.shared_size); at most %d",
                 table[p->scheme].name, table[p->scheme].shared_size, H_SCHEME_SHARED_MAX);
        return -1;
    }
    return h_arena_build(p, &table[p->scheme], err, errlen);
}

void *h_arena_map(int fd, char *err, int errlen)
{
    struct h_arena *a = h_arena_attach(fd, err, errlen);
    if (a)
        h_local(a)->ops = &table[a->params.scheme];
    return a;
}
