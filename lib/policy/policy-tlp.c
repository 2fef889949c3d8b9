/*
 * TLP levels and sharing-group objects (docs/SHARING.md): the ids of the
 * TLP 1.0 (STIX 2.1 section 7.2.1.4) and TLP 2.0 marking-definitions, the
 * effective TLP of an object, and the STIX objects that publish groups.
 *
 * Not for: visibility of stored objects (the store's query does that).
 */
#include <string.h>
#include <strings.h>

#include "fenghuo/policy.h"
#include "fenghuo/stix.h"
#include "fenghuo/util.h"

static const struct {
    const char *id;
    fh_tlp tlp;
} tlp_ids[] = {
    /* TLP 1.0, STIX 2.1 section 7.2.1.4 */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", FH_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", FH_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", FH_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", FH_TLP_RED},
    /* TLP 2.0, extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", FH_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", FH_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", FH_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", FH_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", FH_TLP_RED},
};

static const char *const tlp_names[] = {"clear", "green", "amber", "amber+strict", "red"};

fh_tlp fh_policy_tlp_of_marking(const char *id)
{
    if (id == NULL)
        return FH_TLP_NONE;
    for (size_t i = 0; i < FH_ARRAY_LEN(tlp_ids); i++)
        if (strcmp(tlp_ids[i].id, id) == 0)
            return tlp_ids[i].tlp;
    return FH_TLP_NONE;
}

static fh_tlp stricter(fh_tlp a, fh_tlp b)
{
    return a > b ? a : b;
}

fh_tlp fh_policy_object_tlp(const json_t *obj)
{
    fh_tlp t = FH_TLP_NONE;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, v)
    {
        t = stricter(t, fh_policy_tlp_of_marking(json_string_value(v)));
    }
    return t;
}

const char *fh_policy_tlp_name(fh_tlp t)
{
    if (t < FH_TLP_CLEAR || t > FH_TLP_RED)
        return "none";
    return tlp_names[t];
}

fh_err fh_policy_tlp_parse(const char *name, fh_tlp *out)
{
    if (name == NULL)
        return FH_ERR_INVALID;
    if (strcasecmp(name, "white") == 0) {
        *out = FH_TLP_CLEAR;
        return FH_OK;
    }
    for (size_t i = 0; i < FH_ARRAY_LEN(tlp_names); i++) {
        if (strcasecmp(name, tlp_names[i]) == 0) {
            *out = (fh_tlp)i;
            return FH_OK;
        }
    }
    return FH_ERR_INVALID;
}

const char *fh_policy_tlp_marking_id(fh_tlp t)
{
    /* The TLP 2.0 rows follow the four TLP 1.0 ones, in level order. */
    if (t < FH_TLP_CLEAR || t > FH_TLP_RED)
        return NULL;
    return tlp_ids[4 + t].id;
}

/* ---- sharing groups as STIX ---------------------------------------------- */

/* The creation date of the extension-definition: fixed, so every hub
 * publishes the same object. */
#define GROUP_EXTENSION_CREATED "2026-11-28T00:00:00.000Z"

json_t *fh_policy_group_extension_definition(void)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "extension-definition",
        "spec_version", "2.1", "id", FH_POLICY_GROUP_EXTENSION, "created", GROUP_EXTENSION_CREATED,
        "modified", GROUP_EXTENSION_CREATED, "created_by_ref",
        "identity--0e6b3d7a-6a1e-4c3b-9f2a-fe0f1e5c0c01", "name", "fenghuo sharing group",
        "description",
        "A marking-definition that names a sharing group of a fenghuo hub: objects that "
        "reference it are shown only to the listed member organizations (docs/SHARING.md).",
        "schema", "fenghuo docs/SHARING.md, section \"Sharing groups as STIX\"", "version", "1.0.0",
        "extension_types", "property-extension");
}

json_t *fh_policy_group_marking(const char *id, const char *name, const char *created,
                                const json_t *members)
{
    json_t *title = json_sprintf("fenghuo sharing group: %s", name);
    json_t *ext = json_pack("{s:s,s:s,s:O}", "extension_type", "property-extension", "group", name,
                            "members", members);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:o}}", "type", "marking-definition", "spec_version",
                     "2.1", "id", id, "created", created, "name", title, "extensions",
                     FH_POLICY_GROUP_EXTENSION, ext);
}

/* ---- granular markings ------------------------------------------------------ */

/* The top-level property a selector names: "external_references.[0].url"
 * names external_references. Redaction works on whole top-level properties,
 * which never shows more than a finer cut would. */
static size_t selector_head(const char *sel)
{
    size_t n = 0;
    while (sel[n] && sel[n] != '.')
        n++;
    return n;
}

/* Whether obj stays valid STIX without its top-level property key. */
static bool valid_without(const json_t *obj, const char *key, size_t key_len)
{
    json_t *copy = json_deep_copy(obj);
    char name[256];
    if (key_len >= sizeof name) {
        json_decref(copy);
        return false;
    }
    memcpy(name, key, key_len);
    name[key_len] = '\0';
    json_object_del(copy, name);
    /* Markings that select the removed property go with it. */
    fh_policy_redact_property(copy, name);
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    fh_err rc = fh_stix_validate_object(copy, 0, &opts, &d);
    bool ok = rc == FH_OK && d.errors == 0;
    fh_stix_diags_cleanup(&d);
    json_decref(copy);
    return ok;
}

/* How many selectors are checked with the validator per object; beyond
 * that, a marking restricts the whole object (never shows more, and a
 * hostile object cannot make ingest quadratic). */
#define MAX_SELECTOR_CHECKS 32

void fh_policy_granular_tlp(const json_t *obj, fh_tlp *whole, fh_tlp *partial)
{
    *whole = *partial = FH_TLP_NONE;
    size_t i, k, checks = 0;
    json_t *g, *sel;
    json_array_foreach(json_object_get(obj, "granular_markings"), i, g)
    {
        fh_tlp t = fh_policy_tlp_of_marking(json_string_value(json_object_get(g, "marking_ref")));
        if (t == FH_TLP_NONE)
            continue;
        *partial = stricter(*partial, t);
        json_array_foreach(json_object_get(g, "selectors"), k, sel)
        {
            const char *s = json_string_value(sel);
            if (s == NULL || t <= *whole)
                continue;
            if (++checks > MAX_SELECTOR_CHECKS || !valid_without(obj, s, selector_head(s)))
                *whole = t;
        }
    }
}

void fh_policy_redact_property(json_t *obj, const char *key)
{
    json_t *list = json_object_get(obj, "granular_markings");
    size_t keylen = strlen(key);
    for (size_t i = json_array_size(list); i-- > 0;) {
        json_t *g = json_array_get(list, i);
        size_t k;
        json_t *sel;
        bool hits = false;
        json_array_foreach(json_object_get(g, "selectors"), k, sel)
        {
            const char *s = json_string_value(sel);
            if (s && selector_head(s) == keylen && strncmp(s, key, keylen) == 0)
                hits = true;
        }
        if (hits)
            json_array_remove(list, i);
    }
    if (list && json_array_size(list) == 0)
        json_object_del(obj, "granular_markings");
}

void fh_policy_redact(json_t *obj, int clearance)
{
    for (;;) {
        json_t *list = json_object_get(obj, "granular_markings");
        json_t *above = NULL;
        size_t i;
        json_t *g;
        json_array_foreach(list, i, g)
        {
            fh_tlp t =
                fh_policy_tlp_of_marking(json_string_value(json_object_get(g, "marking_ref")));
            if (t != FH_TLP_NONE && (int)t > clearance) {
                above = g;
                break;
            }
        }
        if (above == NULL)
            return;
        /* Every property this marking selects goes, then every marking that
         * selects one of them (this one included). */
        json_t *heads = json_array();
        size_t k;
        json_t *sel;
        json_array_foreach(json_object_get(above, "selectors"), k, sel)
        {
            const char *sv = json_string_value(sel);
            if (sv && selector_head(sv) > 0)
                json_array_append_new(heads, json_stringn(sv, selector_head(sv)));
        }
        json_array_remove(list, i); /* in case no selector named a property */
        json_array_foreach(heads, k, sel)
        {
            json_object_del(obj, json_string_value(sel));
            fh_policy_redact_property(obj, json_string_value(sel));
        }
        if (json_array_size(list) == 0)
            json_object_del(obj, "granular_markings");
        json_decref(heads);
    }
}
