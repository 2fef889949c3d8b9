/*
 * Unit tests: trust and consensus (docs/SHARING.md). The arithmetic of
 * lib/policy/policy-consensus.c (decay, scores, threshold, valid_until,
 * confidence, feedback, configuration), then the store's side
 * (lib/store/store-consensus.c) on a temporary data folder: who counts,
 * what a burst counts for, what TLP feeds it, trust changes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fenghuo/consensus.h"
#include "fenghuo/store.h"

#define SEC 1000000LL
#define NOW (1800000000LL * SEC)

static fh_consensus_config defaults(void)
{
    fh_consensus_config c;
    fh_consensus_config_init(&c);
    return c;
}

static double fresh(const fh_consensus_config *c, const fh_trust_level *levels, size_t n)
{
    fh_consensus_report r[8];
    for (size_t i = 0; i < n; i++) {
        r[i].trust = fh_consensus_trust(c, levels[i], 1.0);
        r[i].at_us = NOW;
    }
    return fh_consensus_score(r, n, NOW, c->half_life_s[FH_CONSENSUS_ADDRESS]);
}

/* ---- arithmetic ------------------------------------------------------------- */

static void decay_halves_every_half_life(void **state)
{
    (void)state;
    assert_true(fh_consensus_decay(0, 100) == 1.0);
    assert_true(fh_consensus_decay(-5, 100) == 1.0);
    assert_true(fabs(fh_consensus_decay(100, 100) - 0.5) < 1e-12);
    assert_true(fabs(fh_consensus_decay(200, 100) - 0.25) < 1e-12);
    assert_true(fh_consensus_decay(1000, 100) < 0.001);
}

static void one_normal_organization_never_publishes_alone(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    fh_trust_level one[] = {FH_TRUST_NORMAL};
    assert_true(fresh(&c, one, 1) < c.threshold);
}

static void two_normal_organizations_publish(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    fh_trust_level two[] = {FH_TRUST_NORMAL, FH_TRUST_NORMAL};
    assert_true(fresh(&c, two, 2) >= c.threshold);
}

static void one_high_organization_publishes(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    fh_trust_level one[] = {FH_TRUST_HIGH};
    assert_true(fresh(&c, one, 1) >= c.threshold);
}

static void low_trust_does_not_make_up_for_a_second_organization(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    fh_trust_level pair[] = {FH_TRUST_NORMAL, FH_TRUST_LOW};
    assert_true(fresh(&c, pair, 2) < c.threshold);
    fh_trust_level lows[] = {FH_TRUST_LOW, FH_TRUST_LOW, FH_TRUST_LOW};
    assert_true(fresh(&c, lows, 3) < c.threshold);
}

static void old_reports_weigh_less(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    double hl = c.half_life_s[FH_CONSENSUS_ADDRESS];
    fh_consensus_report r[2] = {{1.0, NOW}, {1.0, NOW - (int64_t)(hl * SEC)}};
    double s = fh_consensus_score(r, 2, NOW, hl);
    assert_true(fabs(s - 1.5) < 1e-9);
}

static void valid_until_is_when_the_score_falls_below_the_threshold(void **state)
{
    (void)state;
    double hl = 100, t = 1.5;
    int64_t until = fh_consensus_until(2.0, t, NOW, hl);
    /* 100 s x log2(2 / 1.5) = 41.5 s */
    assert_true(until > NOW + 41 * SEC && until < NOW + 42 * SEC);
    fh_consensus_report r[2] = {{1.0, NOW}, {1.0, NOW}};
    double at_until = fh_consensus_score(r, 2, until, hl);
    assert_true(fabs(at_until - t) < 1e-6);
    assert_true(fh_consensus_score(r, 2, until + SEC, hl) < t);
    /* Below the threshold: nothing to publish, until is now. */
    assert_int_equal(fh_consensus_until(1.0, t, NOW, hl), NOW);
}

static void confidence_grows_with_the_score(void **state)
{
    (void)state;
    assert_int_equal(fh_consensus_confidence(1.5, 1.5), 50);
    assert_int_equal(fh_consensus_confidence(2.0, 1.5), 57);
    assert_int_equal(fh_consensus_confidence(3.0, 1.5), 67);
    assert_true(fh_consensus_confidence(1e9, 1.5) <= 100);
    assert_int_equal(fh_consensus_confidence(0, 1.5), 1);
}

static void feedback_is_bounded(void **state)
{
    (void)state;
    assert_true(fh_consensus_feedback(0, 0) == 1.0);
    /* one other organization counts for at most 2 points */
    assert_int_equal(fh_consensus_cap(500), 2);
    assert_true(fabs(fh_consensus_feedback(0, fh_consensus_cap(500)) - 0.5) < 1e-12);
    assert_true(fh_consensus_feedback(0, 4) == 0.0);
    assert_true(fh_consensus_feedback(0, 40) == 0.0);
    assert_true(fabs(fh_consensus_feedback(2, 0) - 1.2) < 1e-12);
    assert_true(fh_consensus_feedback(100, 0) == FH_CONSENSUS_FEEDBACK_MAX);
    fh_consensus_config c = defaults();
    assert_true(fh_consensus_trust(&c, FH_TRUST_HIGH, 0.5) == 1.0);
}

static void half_lives_parse_with_units_and_limits(void **state)
{
    (void)state;
    fh_consensus_config c = defaults();
    assert_true(c.half_life_s[FH_CONSENSUS_ADDRESS] == 86400);
    assert_true(c.half_life_s[FH_CONSENSUS_DOMAIN] == 7 * 86400);
    assert_true(c.half_life_s[FH_CONSENSUS_HASH] == 30 * 86400);
    assert_int_equal(fh_consensus_parse_half_life(&c, "address=2s", NULL), FH_OK);
    assert_true(c.half_life_s[FH_CONSENSUS_ADDRESS] == 2);
    assert_int_equal(fh_consensus_parse_half_life(&c, "url=3h", NULL), FH_OK);
    assert_true(c.half_life_s[FH_CONSENSUS_URL] == 3 * 3600);
    assert_int_equal(fh_consensus_parse_half_life(&c, "hash=90", NULL), FH_OK);
    assert_true(c.half_life_s[FH_CONSENSUS_HASH] == 90);
    fh_buf err;
    fh_buf_init(&err, 0);
    assert_int_equal(fh_consensus_parse_half_life(&c, "address=0s", &err), FH_ERR_USAGE);
    assert_non_null(strstr(err.data, "1s to 3650d"));
    assert_int_equal(fh_consensus_parse_half_life(&c, "ports=1h", NULL), FH_ERR_USAGE);
    assert_int_equal(fh_consensus_parse_half_life(&c, "hash=3651d", NULL), FH_ERR_USAGE);
    assert_int_equal(fh_consensus_parse_half_life(&c, "domain=", NULL), FH_ERR_USAGE);
    assert_int_equal(fh_consensus_parse_half_life(&c, "domain", NULL), FH_ERR_USAGE);
    fh_buf_cleanup(&err);
    fh_trust_level t;
    assert_int_equal(fh_trust_level_parse("HIGH", &t), FH_OK);
    assert_int_equal(t, FH_TRUST_HIGH);
    assert_int_equal(fh_trust_level_parse("medium", &t), FH_ERR_INVALID);
    assert_string_equal(fh_trust_level_name(FH_TRUST_LOW), "low");
}

/* ---- the store -------------------------------------------------------------- */

struct fixture {
    char dir[64];
    fh_store *s;
    fh_consensus_config cfg;
    char orgs[4][FH_STORE_ID_STRLEN];
    char coll[FH_STORE_ID_STRLEN];
    char cons[FH_STORE_ID_STRLEN];
    unsigned seq;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/fh-test-consensus-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    if (fh_store_open(f->dir, 2, &f->s, NULL) != FH_OK)
        return -1;
    static const char *const names[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        if (fh_store_org_add(f->s, names[i], f->orgs[i]) != FH_OK)
            return -1;
    fh_consensus_config_init(&f->cfg);
    if (fh_store_collection_add(f->s, "feed", NULL, NULL, f->coll) != FH_OK ||
        fh_store_collection_set_default_tlp(f->s, f->coll, 1 /* GREEN */) != FH_OK ||
        fh_store_consensus_enable(f->s, &f->cfg, f->cons) != FH_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fh_store_close(f->s);
    char *cmd = fh_xasprintf("rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* The number of versions in the consensus collection. */
static size_t consensus_versions(struct fixture *f)
{
    fh_store_query q = {.collection = f->cons, .version_all = true, .limit = 100000};
    fh_store_result r;
    fh_store_result_init(&r);
    assert_int_equal(fh_store_query_run(f->s, &q, FH_STORE_VIEW_VERSIONS, &r), FH_OK);
    size_t n = r.count;
    fh_store_result_cleanup(&r);
    return n;
}

/* An indicator of addr by organization org, posted now, with an optional
 * marking; returns how many consensus versions the post published. */
static size_t report(struct fixture *f, int org, const char *addr, const char *marking)
{
    char now[32], id[80], pattern[100];
    fh_store_format_us((int64_t)time(NULL) * SEC, now);
    snprintf(id, sizeof id, "indicator--5d6e7f80-0000-4000-8000-%012x", ++f->seq);
    snprintf(pattern, sizeof pattern, "[ipv4-addr:value = '%s']", addr);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator", "spec_version",
                          "2.1", "id", id, "created", now, "modified", now, "pattern", pattern,
                          "pattern_type", "stix", "valid_from", now);
    if (marking)
        json_object_set_new(o, "object_marking_refs", json_pack("[s]", marking));
    fh_store_put_item it = {.object = o};
    fh_buf status;
    fh_buf_init(&status, 0);
    size_t before = consensus_versions(f);
    assert_int_equal(fh_store_post(f->s, f->coll, f->orgs[org], &it, 1, &status), FH_OK);
    size_t published = consensus_versions(f) - before;
    fh_buf_cleanup(&status);
    json_decref(o);
    return published;
}

/* The state of addr's value ("none", "published", "revoked") and its
 * number of organizations. */
static const char *state_of(struct fixture *f, const char *addr, int *orgs)
{
    json_t *list = NULL;
    assert_int_equal(fh_store_consensus_list(f->s, &f->cfg, &list), FH_OK);
    static char st[16];
    snprintf(st, sizeof st, "absent");
    *orgs = 0;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "value")), addr) == 0) {
            snprintf(st, sizeof st, "%s", json_string_value(json_object_get(o, "state")));
            *orgs = (int)json_integer_value(json_object_get(o, "organizations"));
        }
    }
    json_decref(list);
    return st;
}

static void store_publishes_after_two_organizations(void **state)
{
    struct fixture *f = *state;
    int n;
    assert_int_equal(report(f, 0, "198.51.100.1", NULL), 0);
    assert_string_equal(state_of(f, "198.51.100.1", &n), "none");
    assert_int_equal(report(f, 1, "198.51.100.1", NULL), 1);
    assert_string_equal(state_of(f, "198.51.100.1", &n), "published");
    assert_int_equal(n, 2);
}

static void store_counts_a_burst_from_one_organization_once(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 50; i++)
        assert_int_equal(report(f, 0, "198.51.100.2", NULL), 0);
    int n;
    assert_string_equal(state_of(f, "198.51.100.2", &n), "none");
    assert_int_equal(n, 1);
}

static void store_ignores_amber_and_red_reports(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(report(f, 0, "198.51.100.3", NULL), 0);
    /* AMBER 2.0, AMBER+STRICT, RED: none of them feeds consensus */
    assert_int_equal(
        report(f, 1, "198.51.100.3", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
        0);
    assert_int_equal(
        report(f, 2, "198.51.100.3", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
        0);
    assert_int_equal(
        report(f, 3, "198.51.100.3", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
        0);
    int n;
    assert_string_equal(state_of(f, "198.51.100.3", &n), "none");
    assert_int_equal(n, 1);
}

static void store_publishes_one_high_trust_organization_and_revokes_when_lowered(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fh_store_org_set_trust(f->s, "c", FH_TRUST_HIGH), FH_OK);
    assert_int_equal(report(f, 2, "198.51.100.4", NULL), 1);
    int n;
    assert_string_equal(state_of(f, "198.51.100.4", &n), "published");
    assert_int_equal(fh_store_org_set_trust(f->s, "c", FH_TRUST_NORMAL), FH_OK);
    size_t published = 0;
    assert_int_equal(fh_store_consensus_check(f->s, &published, NULL), FH_OK);
    assert_int_equal(published, 1);
    assert_string_equal(state_of(f, "198.51.100.4", &n), "revoked");
    assert_int_equal(fh_store_org_set_trust(f->s, "nobody", FH_TRUST_HIGH), FH_ERR_NOTFOUND);
    assert_int_equal(fh_store_org_set_trust(f->s, "c", 7), FH_ERR_INVALID);
}

static void store_rescores_a_large_organization_in_batches(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fh_store_org_set_trust(f->s, "d", FH_TRUST_HIGH), FH_OK);
    enum { N = 5100 };
    json_t *objs[N];
    fh_store_put_item *items = calloc(N, sizeof *items);
    char now[32];
    fh_store_format_us((int64_t)time(NULL) * SEC, now);
    for (int i = 0; i < N; i++) {
        char id[80], pattern[100];
        snprintf(id, sizeof id, "indicator--6d6e7f80-0000-4000-8000-%012x", i);
        snprintf(pattern, sizeof pattern, "[ipv4-addr:value = '10.9.%d.%d']", i / 256, i % 256);
        objs[i] = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator",
                            "spec_version", "2.1", "id", id, "created", now, "modified", now,
                            "pattern", pattern, "pattern_type", "stix", "valid_from", now);
        items[i].object = objs[i];
    }
    fh_buf status;
    fh_buf_init(&status, 0);
    assert_int_equal(fh_store_post(f->s, f->coll, f->orgs[3], items, N, &status), FH_OK);
    assert_int_equal(consensus_versions(f), N);
    /* Lowered: every value goes, in two check transactions. */
    assert_int_equal(fh_store_org_set_trust(f->s, "d", FH_TRUST_NORMAL), FH_OK);
    size_t published = 0;
    bool more = false;
    assert_int_equal(fh_store_consensus_check(f->s, &published, &more), FH_OK);
    assert_true(more);
    assert_int_equal(published, 5000);
    assert_int_equal(fh_store_consensus_check(f->s, &published, &more), FH_OK);
    assert_int_equal(published, N - 5000);
    assert_int_equal(fh_store_consensus_check(f->s, &published, &more), FH_OK);
    assert_false(more);
    assert_int_equal(published, 0);
    assert_int_equal(consensus_versions(f), 2 * N);
    for (int i = 0; i < N; i++)
        json_decref(objs[i]);
    free(items);
    fh_buf_cleanup(&status);
}

static void store_writes_versions_to_the_consensus_collection(void **state)
{
    struct fixture *f = *state;
    report(f, 0, "198.51.100.5", NULL);
    report(f, 1, "198.51.100.5", NULL);
    fh_store_query q = {
        .collection = f->cons, .reader = f->orgs[3], .version_all = true, .limit = 100};
    fh_store_result r;
    fh_store_result_init(&r);
    assert_int_equal(fh_store_query_run(f->s, &q, FH_STORE_VIEW_OBJECTS, &r), FH_OK);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "[ipv4-addr:value = '198.51.100.5']"));
    assert_non_null(strstr(r.items.data, "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"));
    assert_null(strstr(r.items.data, "\"revoked\""));
    fh_store_result_cleanup(&r);
    bool exists, can_read, can_write;
    assert_int_equal(fh_store_access(f->s, f->cons, f->orgs[3], &exists, &can_read, &can_write),
                     FH_OK);
    assert_true(exists && can_read && !can_write);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decay_halves_every_half_life),
        cmocka_unit_test(one_normal_organization_never_publishes_alone),
        cmocka_unit_test(two_normal_organizations_publish),
        cmocka_unit_test(one_high_organization_publishes),
        cmocka_unit_test(low_trust_does_not_make_up_for_a_second_organization),
        cmocka_unit_test(old_reports_weigh_less),
        cmocka_unit_test(valid_until_is_when_the_score_falls_below_the_threshold),
        cmocka_unit_test(confidence_grows_with_the_score),
        cmocka_unit_test(feedback_is_bounded),
        cmocka_unit_test(half_lives_parse_with_units_and_limits),
        cmocka_unit_test_setup_teardown(store_publishes_after_two_organizations, setup, teardown),
        cmocka_unit_test_setup_teardown(store_counts_a_burst_from_one_organization_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(store_ignores_amber_and_red_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(
            store_publishes_one_high_trust_organization_and_revokes_when_lowered, setup, teardown),
        cmocka_unit_test_setup_teardown(store_rescores_a_large_organization_in_batches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(store_writes_versions_to_the_consensus_collection, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
