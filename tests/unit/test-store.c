/*
 * Unit tests: the hub's store (lib/store) on a temporary data folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "fenghuo/json.h"
#include "fenghuo/store.h"

struct fixture {
    char dir[64];
    fh_store *s;
    char org[FH_STORE_ID_STRLEN];
    char coll[FH_STORE_ID_STRLEN];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/fh-test-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    fh_buf err;
    fh_buf_init(&err, 0);
    if (fh_store_open(f->dir, 2, &f->s, &err) != FH_OK) {
        fprintf(stderr, "%s\n", err.data ? err.data : "");
        return -1;
    }
    fh_buf_cleanup(&err);
    if (fh_store_org_add(f->s, "acme", f->org) != FH_OK)
        return -1;
    if (fh_store_collection_add(f->s, "shared", NULL, NULL, f->coll) != FH_OK)
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

static json_t *indicator(const char *uuid, const char *modified)
{
    char *id = fh_xasprintf("indicator--%s", uuid);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator", "spec_version",
                          "2.1", "id", id, "created", "2026-01-01T00:00:00.000Z", "modified",
                          modified, "pattern", "[ipv4-addr:value = '203.0.113.7']", "pattern_type",
                          "stix", "valid_from", "2026-01-01T00:00:00Z");
    free(id);
    return o;
}

/* Posts items and returns the status resource, parsed. */
static json_t *post(struct fixture *f, const fh_store_put_item *items, size_t n)
{
    fh_buf text;
    fh_buf_init(&text, 0);
    assert_int_equal(fh_store_post(f->s, f->coll, f->org, items, n, &text), FH_OK);
    json_t *status = json_loadb(text.data, text.len, 0, NULL);
    assert_non_null(status);
    fh_buf_cleanup(&text);
    return status;
}

static json_t *post1(struct fixture *f, json_t *obj)
{
    fh_store_put_item it = {.object = obj};
    return post(f, &it, 1);
}

static void run(struct fixture *f, fh_store_query *q, fh_store_view view, fh_store_result *r)
{
    fh_store_result_init(r);
    assert_int_equal(fh_store_query_run(f->s, q, view, r), FH_OK);
}

static void opens_with_current_schema(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fh_store_schema_version(f->s), 4);
    bool ok = false;
    assert_int_equal(fh_store_integrity_check(f->s, &ok), FH_OK);
    assert_true(ok);
}

static void cursor_key_survives_reopen(void **state)
{
    struct fixture *f = *state;
    uint8_t a[32], b[32];
    fh_store_cursor_key(f->s, a);
    fh_store_close(f->s);
    assert_int_equal(fh_store_open(f->dir, 1, &f->s, NULL), FH_OK);
    fh_store_cursor_key(f->s, b);
    assert_memory_equal(a, b, 32);
}

static void org_name_is_unique_and_has_identity(void **state)
{
    struct fixture *f = *state;
    char id[FH_STORE_ID_STRLEN];
    assert_int_equal(fh_store_org_add(f->s, "acme", id), FH_ERR_EXISTS);
    json_t *list = NULL;
    assert_int_equal(fh_store_org_list(f->s, &list), FH_OK);
    assert_int_equal(json_array_size(list), 1);
    const char *identity = fh_json_str(json_array_get(list, 0), "identity");
    assert_non_null(identity);
    assert_int_equal(strncmp(identity, "identity--", 10), 0);
    json_decref(list);
}

static void token_authenticates_until_revoked(void **state)
{
    struct fixture *f = *state;
    char token[FH_STORE_TOKEN_STRLEN], id[FH_STORE_ID_STRLEN];
    assert_int_equal(fh_store_token_new(f->s, "acme", "ci", false, token, id), FH_OK);
    assert_int_equal(strlen(token), 64);
    fh_store_principal p;
    assert_int_equal(fh_store_token_auth(f->s, token, 64, &p), FH_OK);
    assert_string_equal(p.org_id, f->org);
    assert_false(p.admin);
    token[0] = token[0] == 'a' ? 'b' : 'a';
    assert_int_equal(fh_store_token_auth(f->s, token, 64, &p), FH_ERR_AUTH);
    token[0] = token[0] == 'a' ? 'b' : 'a';
    assert_int_equal(fh_store_token_revoke(f->s, id), FH_OK);
    assert_int_equal(fh_store_token_auth(f->s, token, 64, &p), FH_ERR_AUTH);
    assert_int_equal(fh_store_token_revoke(f->s, id), FH_ERR_NOTFOUND);
}

static void token_list_never_shows_the_secret(void **state)
{
    struct fixture *f = *state;
    char token[FH_STORE_TOKEN_STRLEN], id[FH_STORE_ID_STRLEN];
    assert_int_equal(fh_store_token_new(f->s, f->org, NULL, true, token, id), FH_OK);
    json_t *list = NULL;
    assert_int_equal(fh_store_token_list(f->s, &list), FH_OK);
    char *text = json_dumps(list, 0);
    assert_null(strstr(text, token));
    assert_non_null(strstr(text, id));
    free(text);
    json_decref(list);
}

static void grants_decide_access(void **state)
{
    struct fixture *f = *state;
    bool exists, r, w;
    assert_int_equal(fh_store_access(f->s, f->coll, f->org, &exists, &r, &w), FH_OK);
    assert_true(exists);
    assert_false(r || w);
    assert_int_equal(fh_store_grant(f->s, f->coll, "acme", true, false), FH_OK);
    assert_int_equal(fh_store_access(f->s, f->coll, f->org, &exists, &r, &w), FH_OK);
    assert_true(r);
    assert_false(w);
    json_t *list = NULL;
    assert_int_equal(fh_store_collections_for(f->s, f->org, NULL, &list), FH_OK);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(fh_store_revoke(f->s, f->coll, "acme"), FH_OK);
    assert_int_equal(fh_store_revoke(f->s, f->coll, "acme"), FH_ERR_NOTFOUND);
    assert_int_equal(
        fh_store_access(f->s, "00000000-0000-4000-8000-000000000000", f->org, &exists, &r, &w),
        FH_OK);
    assert_false(exists);
}

static void collection_with_given_id_and_bad_id(void **state)
{
    struct fixture *f = *state;
    char id[FH_STORE_ID_STRLEN];
    assert_int_equal(
        fh_store_collection_add(f->s, "x", "d", "11111111-2222-4333-8444-555555555555", id), FH_OK);
    assert_string_equal(id, "11111111-2222-4333-8444-555555555555");
    assert_int_equal(
        fh_store_collection_add(f->s, "y", NULL, "11111111-2222-4333-8444-555555555555", id),
        FH_ERR_EXISTS);
    assert_int_equal(fh_store_collection_add(f->s, "z", NULL, "nope", id), FH_ERR_INVALID);
}

static void put_same_version_twice_stores_once(void **state)
{
    struct fixture *f = *state;
    json_t *o = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00.000Z");
    json_t *s1 = post1(f, o);
    json_t *s2 = post1(f, o);
    assert_int_equal(json_integer_value(json_object_get(s2, "success_count")), 1);
    assert_string_equal(fh_json_str(s2, "status"), "complete");
    fh_store_query q = {.collection = f->coll, .version_all = true, .limit = 10};
    fh_store_result r;
    run(f, &q, FH_STORE_VIEW_MANIFEST, &r);
    assert_int_equal(r.count, 1);
    fh_store_result_cleanup(&r);
    json_decref(s1);
    json_decref(s2);
    json_decref(o);
}

static void same_instant_with_other_precision_is_same_version(void **state)
{
    struct fixture *f = *state;
    json_t *a = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00.1Z");
    json_t *b = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00.100Z");
    json_decref(post1(f, a));
    json_decref(post1(f, b));
    fh_store_query q = {.collection = f->coll, .version_all = true, .limit = 10};
    fh_store_result r;
    run(f, &q, FH_STORE_VIEW_VERSIONS, &r);
    assert_int_equal(r.count, 1);
    fh_store_result_cleanup(&r);
    json_decref(a);
    json_decref(b);
}

static void date_added_strictly_increases(void **state)
{
    struct fixture *f = *state;
    fh_store_put_item items[50];
    json_t *objs[50];
    for (int i = 0; i < 50; i++) {
        char uuid[37];
        snprintf(uuid, sizeof uuid, "8e2e2d2b-17d4-4cbf-938f-%012d", i);
        objs[i] = indicator(uuid, "2026-01-02T00:00:00Z");
        items[i] = (fh_store_put_item){.object = objs[i]};
    }
    json_t *status = post(f, items, 50);
    assert_int_equal(json_integer_value(json_object_get(status, "success_count")), 50);
    json_decref(status);
    /* Page through 7 at a time with added_after: every object exactly once. */
    fh_store_query q = {.collection = f->coll, .limit = 7};
    size_t seen = 0;
    int64_t prev = -1;
    for (int pages = 0; pages < 20; pages++) {
        fh_store_result r;
        run(f, &q, FH_STORE_VIEW_MANIFEST, &r);
        if (r.count)
            assert_true(r.first_added_us > prev);
        assert_true(r.last_added_us >= r.first_added_us);
        seen += r.count;
        prev = r.last_added_us;
        q.has_added_after = true;
        q.added_after_us = r.last_added_us;
        bool more = r.more;
        fh_store_result_cleanup(&r);
        if (!more)
            break;
    }
    assert_int_equal(seen, 50);
    for (int i = 0; i < 50; i++)
        json_decref(objs[i]);
}

static void version_filters_select_first_last_all_and_exact(void **state)
{
    struct fixture *f = *state;
    const char *u = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    json_t *v2 = indicator(u, "2026-01-02T00:00:00.000Z");
    json_t *v1 = indicator(u, "2026-01-01T00:00:00.000Z");
    json_t *v3 = indicator(u, "2026-01-03T00:00:00.000Z");
    json_decref(post1(f, v2));
    json_decref(post1(f, v1));
    json_decref(post1(f, v3));
    fh_store_query q = {.collection = f->coll, .limit = 10};
    fh_store_result r;
    run(f, &q, FH_STORE_VIEW_VERSIONS, &r); /* the versions view lists all */
    assert_int_equal(r.count, 3);
    fh_store_result_cleanup(&r);
    run(f, &q, FH_STORE_VIEW_MANIFEST, &r); /* default: latest */
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "2026-01-03T00:00:00.000Z"));
    fh_store_result_cleanup(&r);
    q.version_first = true;
    run(f, &q, FH_STORE_VIEW_MANIFEST, &r);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "2026-01-01T00:00:00.000Z"));
    fh_store_result_cleanup(&r);
    q.version_last = true;
    run(f, &q, FH_STORE_VIEW_MANIFEST, &r);
    assert_int_equal(r.count, 2);
    fh_store_result_cleanup(&r);
    const char *exact[] = {"2026-01-02T00:00:00Z"};
    q.version_first = q.version_last = false;
    q.versions = (fh_store_strs){exact, 1};
    run(f, &q, FH_STORE_VIEW_OBJECTS, &r);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "2026-01-02T00:00:00.000Z"));
    fh_store_result_cleanup(&r);
    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
}

static void type_and_id_filters(void **state)
{
    struct fixture *f = *state;
    json_t *a = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00Z");
    json_t *ip =
        json_pack("{s:s,s:s,s:s,s:s}", "type", "ipv4-addr", "spec_version", "2.1", "id",
                  "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value", "198.51.100.3");
    json_decref(post1(f, a));
    json_decref(post1(f, ip));
    json_decref(post1(f, ip)); /* SCO without a version: same content, one row */
    const char *types[] = {"ipv4-addr"};
    fh_store_query q = {.collection = f->coll, .types = {types, 1}, .limit = 10};
    fh_store_result r;
    run(f, &q, FH_STORE_VIEW_OBJECTS, &r);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "198.51.100.3"));
    fh_store_result_cleanup(&r);
    const char *ids[] = {"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "x--y"};
    q = (fh_store_query){.collection = f->coll, .ids = {ids, 2}, .limit = 10};
    run(f, &q, FH_STORE_VIEW_OBJECTS, &r);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "indicator--8e2e2d2b"));
    fh_store_result_cleanup(&r);
    const char *sv[] = {"2.0"};
    q = (fh_store_query){.collection = f->coll, .spec_versions = {sv, 1}, .limit = 10};
    run(f, &q, FH_STORE_VIEW_OBJECTS, &r);
    assert_int_equal(r.count, 0);
    fh_store_result_cleanup(&r);
    json_decref(a);
    json_decref(ip);
}

static void failures_are_recorded_in_status(void **state)
{
    struct fixture *f = *state;
    fh_store_put_item it = {.id = "indicator--x", .version = "", .message = "bad pattern"};
    json_t *status = post(f, &it, 1);
    assert_int_equal(json_integer_value(json_object_get(status, "failure_count")), 1);
    const char *sid = fh_json_str(status, "id");
    json_t *again = NULL;
    assert_int_equal(fh_store_status_get(f->s, sid, f->org, &again), FH_OK);
    assert_string_equal(
        fh_json_str(json_array_get(json_object_get(again, "failures"), 0), "message"),
        "bad pattern");
    json_t *other = NULL;
    assert_int_equal(fh_store_status_get(f->s, sid, "someone-else", &other), FH_ERR_NOTFOUND);
    json_decref(again);
    json_decref(status);
}

static void delete_one_version_then_all(void **state)
{
    struct fixture *f = *state;
    const char *u = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    const char *oid = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    json_t *v1 = indicator(u, "2026-01-01T00:00:00.000Z");
    json_t *v2 = indicator(u, "2026-01-02T00:00:00.000Z");
    json_decref(post1(f, v1));
    json_decref(post1(f, v2));
    fh_store_query q = {.collection = f->coll, .object_id = oid, .version_last = true, .limit = 1};
    size_t n = 0;
    assert_int_equal(fh_store_delete(f->s, &q, &n), FH_OK);
    assert_int_equal(n, 1);
    fh_store_query g = {.collection = f->coll, .object_id = oid, .limit = 10};
    fh_store_result r;
    run(f, &g, FH_STORE_VIEW_OBJECTS, &r); /* the remaining version is now latest */
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.items.data, "2026-01-01T00:00:00.000Z"));
    fh_store_result_cleanup(&r);
    fh_store_query all = {.collection = f->coll, .object_id = oid, .limit = 1};
    assert_int_equal(fh_store_delete(f->s, &all, &n), FH_OK);
    assert_int_equal(n, 1);
    bool exists = true;
    assert_int_equal(fh_store_object_exists(f->s, f->coll, oid, NULL, &exists), FH_OK);
    assert_false(exists);
    json_decref(v1);
    json_decref(v2);
}

static void objects_come_back_semantically_identical(void **state)
{
    struct fixture *f = *state;
    json_t *o = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00.000Z");
    json_object_set_new(o, "x_unicode", json_string("烽火 \u00e9"));
    json_object_set_new(o, "x_num", json_real(1.5));
    json_decref(post1(f, o));
    fh_store_query q = {.collection = f->coll, .limit = 10};
    fh_store_result r;
    run(f, &q, FH_STORE_VIEW_OBJECTS, &r);
    json_t *back = json_loads(r.items.data, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(back, o));
    json_decref(back);
    fh_store_result_cleanup(&r);
    json_decref(o);
}

struct poster {
    struct fixture *f;
    int thread;
    int ok;
};

/* Posts 20 envelopes of 25 distinct objects. */
static void *poster_main(void *arg)
{
    struct poster *p = arg;
    for (int e = 0; e < 20; e++) {
        fh_store_put_item items[25];
        json_t *objs[25];
        for (int i = 0; i < 25; i++) {
            char uuid[37];
            snprintf(uuid, sizeof uuid, "8e2e2d2b-17d4-4cbf-938f-%04d%04d%04d", p->thread, e, i);
            objs[i] = indicator(uuid, "2026-01-02T00:00:00Z");
            items[i] = (fh_store_put_item){.object = objs[i]};
        }
        fh_buf text;
        fh_buf_init(&text, 0);
        if (fh_store_post(p->f->s, p->f->coll, p->f->org, items, 25, &text) == FH_OK &&
            strstr(text.data, "\"success_count\":25"))
            p->ok++;
        fh_buf_cleanup(&text);
        for (int i = 0; i < 25; i++)
            json_decref(objs[i]);
    }
    return NULL;
}

static void concurrent_posts_commit_in_groups_and_keep_order(void **state)
{
    struct fixture *f = *state;
    pthread_t t[4];
    struct poster p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (struct poster){.f = f, .thread = i};
        assert_int_equal(pthread_create(&t[i], NULL, poster_main, &p[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(p[i].ok, 20);
    }
    /* 2,000 objects, each once, date_added strictly increasing. */
    fh_store_query q = {.collection = f->coll, .limit = 1000};
    size_t seen = 0;
    int64_t prev = -1;
    for (int pages = 0; pages < 5; pages++) {
        fh_store_result r;
        run(f, &q, FH_STORE_VIEW_MANIFEST, &r);
        assert_true(r.count == 0 || r.first_added_us > prev);
        seen += r.count;
        prev = r.last_added_us;
        q.has_added_after = true;
        q.added_after_us = r.last_added_us;
        bool more = r.more;
        fh_store_result_cleanup(&r);
        if (!more)
            break;
    }
    assert_int_equal(seen, 2000);
}

static void post_to_missing_collection_fails_alone(void **state)
{
    struct fixture *f = *state;
    json_t *o = indicator("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-01-02T00:00:00Z");
    fh_store_put_item it = {.object = o};
    fh_buf text;
    fh_buf_init(&text, 0);
    assert_int_equal(
        fh_store_post(f->s, "00000000-0000-4000-8000-000000000000", f->org, &it, 1, &text),
        FH_ERR_NOTFOUND);
    assert_int_equal(text.len, 0);
    fh_buf_cleanup(&text);
    json_decref(post1(f, o)); /* the store goes on working */
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(opens_with_current_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(cursor_key_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(org_name_is_unique_and_has_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(token_authenticates_until_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(token_list_never_shows_the_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(grants_decide_access, setup, teardown),
        cmocka_unit_test_setup_teardown(collection_with_given_id_and_bad_id, setup, teardown),
        cmocka_unit_test_setup_teardown(put_same_version_twice_stores_once, setup, teardown),
        cmocka_unit_test_setup_teardown(same_instant_with_other_precision_is_same_version, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(date_added_strictly_increases, setup, teardown),
        cmocka_unit_test_setup_teardown(version_filters_select_first_last_all_and_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(type_and_id_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_recorded_in_status, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_one_version_then_all, setup, teardown),
        cmocka_unit_test_setup_teardown(objects_come_back_semantically_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_posts_commit_in_groups_and_keep_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(post_to_missing_collection_fails_alone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
