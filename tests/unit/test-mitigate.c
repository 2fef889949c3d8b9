/*
 * Unit tests: what lib/mitigate does before anything reaches the kernel,
 * shared by `fenghuo enforce` and the sensor's enforcement helper: the
 * allowlist (lists, the default, removal of what overlaps it) and the
 * transactions fh_nft_sync writes (seen through a dry run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/mitigate.h"

static fh_block block(const char *text, int64_t expires)
{
    fh_block b;
    assert_true(fh_block_parse(text, strlen(text), &b));
    b.expires = expires;
    return b;
}

static void allow_list_takes_addresses_and_prefixes_with_spaces(void **state)
{
    (void)state;
    fh_block_list l;
    fh_block_list_init(&l);
    fh_buf err;
    fh_buf_init(&err, 4096);
    assert_int_equal(
        fh_block_list_add_text(&l, "198.18.0.0/15, 2001:db8::1 ,192.0.2.7", "--allow", &err),
        FH_OK);
    assert_int_equal(l.count, 3);
    char text[50];
    fh_block_format(&l.items[0], text);
    assert_string_equal(text, "198.18.0.0/15");
    fh_block_format(&l.items[1], text);
    assert_string_equal(text, "2001:db8::1");
    fh_block_list_cleanup(&l);
    fh_buf_cleanup(&err);
}

static void allow_list_names_the_bad_item(void **state)
{
    (void)state;
    fh_block_list l;
    fh_block_list_init(&l);
    fh_buf err;
    fh_buf_init(&err, 4096);
    assert_int_equal(fh_block_list_add_text(&l, "192.0.2.1,evil.example", "--enforce-allow", &err),
                     FH_ERR_USAGE);
    assert_string_equal(err.data, "--enforce-allow: 'evil.example' is not an address or prefix");
    fh_buf_reset(&err);
    assert_int_equal(fh_block_list_add_text(&l, "192.0.2.1,,192.0.2.2", "--allow", &err),
                     FH_ERR_USAGE);
    assert_string_equal(err.data, "--allow: '' is not an address or prefix");
    fh_block_list_cleanup(&l);
    fh_buf_cleanup(&err);
}

static void the_allowlist_wins_over_overlapping_entries(void **state)
{
    (void)state;
    fh_block_list allow, want;
    fh_block_list_init(&allow);
    fh_block_list_init(&want);
    fh_block_list_add_default_allow(&allow);
    fh_buf err;
    fh_buf_init(&err, 4096);
    assert_int_equal(fh_block_list_add_text(&allow, "198.18.0.0/15", "--allow", &err), FH_OK);
    const char *in[] = {"203.0.113.7",     /* blocked */
                        "198.18.4.1",      /* inside a protected network */
                        "198.16.0.0/12",   /* contains one */
                        "8.8.8.8",         /* a public resolver */
                        "2001:db8::/32",   /* blocked */
                        "127.0.0.5",       /* this host */
                        "203.0.113.0/24"}; /* blocked */
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        fh_block b = block(in[i], 0);
        fh_block_list_push(&want, &b);
    }
    assert_int_equal(fh_block_list_remove_allowed(&want, allow.items, allow.count, "test"), 4);
    assert_int_equal(want.count, 3);
    char text[50];
    const char *left[] = {"203.0.113.7", "2001:db8::/32", "203.0.113.0/24"};
    for (size_t i = 0; i < 3; i++) {
        fh_block_format(&want.items[i], text);
        assert_string_equal(text, left[i]);
    }
    fh_block_list_cleanup(&allow);
    fh_block_list_cleanup(&want);
    fh_buf_cleanup(&err);
}

static void a_longer_expiry_renews_the_element_in_one_transaction(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    fh_buf err;
    fh_buf_init(&err, 4096);
    fh_nft *nft = NULL;
    assert_int_equal(fh_nft_new("t", true, out, &nft, &err), FH_OK);
    fh_nft_stats st;
    fh_block want[2] = {block("203.0.113.7", 1100), block("203.0.113.64/28", 1050)};
    assert_int_equal(fh_nft_sync(nft, want, 2, 1000, &st, &err), FH_OK);
    assert_int_equal(st.added, 2);
    assert_int_equal(st.transactions, 2);
    fflush(out);
    assert_string_equal(text, "add element inet t addr4 { 203.0.113.7 timeout 100s }\n"
                              "add element inet t net4 { 203.0.113.64/28 timeout 50s }\n");
    long mark = ftell(out);
    /* The address lives longer, the prefix is gone, another one is new. */
    fh_block next[2] = {block("203.0.113.7", 1500), block("198.51.100.9", 0)};
    assert_int_equal(fh_nft_sync(nft, next, 2, 1010, &st, &err), FH_OK);
    assert_int_equal(st.added, 1);
    assert_int_equal(st.removed, 1);
    assert_int_equal(st.renewed, 1);
    assert_int_equal(st.unchanged, 0);
    assert_int_equal(st.transactions, 3);
    fflush(out);
    assert_string_equal(text + mark, "delete element inet t net4 { 203.0.113.64/28 }\n"
                                     "delete element inet t addr4 { 203.0.113.7 }\n"
                                     "add element inet t addr4 { 203.0.113.7 timeout 490s }\n"
                                     "add element inet t addr4 { 198.51.100.9 }\n");
    mark = ftell(out);
    /* A renewal alone: its deletion and addition are one transaction, so
     * the address is never missing from the set. */
    next[0].expires = 2000;
    assert_int_equal(fh_nft_sync(nft, next, 2, 1015, &st, &err), FH_OK);
    assert_int_equal(st.renewed, 1);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.transactions, 1);
    fflush(out);
    assert_string_equal(text + mark, "delete element inet t addr4 { 203.0.113.7 }\n"
                                     "add element inet t addr4 { 203.0.113.7 timeout 985s }\n");
    mark = ftell(out);
    /* Nothing changed: nothing is written. */
    assert_int_equal(fh_nft_sync(nft, next, 2, 1020, &st, &err), FH_OK);
    assert_int_equal(st.unchanged, 2);
    assert_int_equal(st.transactions, 0);
    fflush(out);
    assert_string_equal(text + mark, "");
    fh_nft_free(nft);
    fclose(out);
    free(text);
    fh_buf_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allow_list_takes_addresses_and_prefixes_with_spaces),
        cmocka_unit_test(allow_list_names_the_bad_item),
        cmocka_unit_test(the_allowlist_wins_over_overlapping_entries),
        cmocka_unit_test(a_longer_expiry_renews_the_element_in_one_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
