/*
 * Deterministic identifiers of STIX Cyber-observable Objects (STIX 2.1
 * sections 2.9 and 3.4): UUIDv5 in the STIX namespace over the RFC 8785
 * serialization of the object's "ID Contributing Properties".
 *
 * The canonical form comes from jansson with sorted keys and no spaces. That
 * equals RFC 8785 for the values SCO ids are made of (strings, integers,
 * lists and dictionaries of them); it differs only in the key order of
 * characters outside the Basic Multilingual Plane and in the text of
 * non-integer numbers, which no contributing property of the spec uses.
 */
#include <stdio.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/stix.h"
#include "fenghuo/uuid.h"

struct sco_rule {
    const char *type;
    const char *props[9]; /* NULL-terminated */
};

/* From each SCO's "ID Contributing Properties" table in section 6. */
static const struct sco_rule rules[] = {
    {"artifact", {"hashes", "payload_bin", NULL}},
    {"autonomous-system", {"number", NULL}},
    {"directory", {"path", NULL}},
    {"domain-name", {"value", NULL}},
    {"email-addr", {"value", NULL}},
    {"email-message", {"from_ref", "subject", "body", NULL}},
    {"file", {"hashes", "name", "extensions", "parent_directory_ref", NULL}},
    {"ipv4-addr", {"value", NULL}},
    {"ipv6-addr", {"value", NULL}},
    {"mac-addr", {"value", NULL}},
    {"mutex", {"name", NULL}},
    {"network-traffic",
     {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions",
      NULL}},
    {"process", {NULL}},
    {"software", {"name", "cpe", "swid", "vendor", "version", NULL}},
    {"url", {"value", NULL}},
    {"user-account", {"account_type", "user_id", "account_login", NULL}},
    {"windows-registry-key", {"key", "values", NULL}},
    {"x509-certificate", {"hashes", "serial_number", NULL}},
};

/* "If the hashes property is present, include only one hash", preferring
 * MD5, SHA-1, SHA-256, SHA-512 in that order, else the first in key order. */
static json_t *one_hash(json_t *hashes)
{
    static const char *const order[] = {"MD5", "SHA-1", "SHA-256", "SHA-512"};
    for (size_t i = 0; i < FH_ARRAY_LEN(order); i++) {
        json_t *v = json_object_get(hashes, order[i]);
        if (v)
            return json_pack("{sO}", order[i], v);
    }
    const char *first = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(hashes, k, v)
    {
        if (first == NULL || strcmp(k, first) < 0)
            first = k;
    }
    return first ? json_pack("{sO}", first, json_object_get(hashes, first)) : json_object();
}

bool fh_stix_is_sco_type(const char *type)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].type, type) == 0)
            return true;
    return false;
}

fh_err fh_stix_sco_id(const json_t *obj, char *out, size_t outsize)
{
    const char *type = fh_json_str(obj, "type");
    if (type == NULL)
        return FH_ERR_INVALID;
    const struct sco_rule *rule = NULL;
    for (size_t i = 0; i < FH_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].type, type) == 0)
            rule = &rules[i];
    if (rule == NULL)
        return FH_ERR_UNSUPPORTED;
    if (outsize < strlen(type) + 2 + FH_UUID_STRLEN)
        return FH_ERR_LIMIT;

    json_t *name = json_object();
    for (size_t i = 0; rule->props[i]; i++) {
        json_t *v = json_object_get(obj, rule->props[i]);
        if (v == NULL)
            continue;
        if (strcmp(rule->props[i], "hashes") == 0 && json_is_object(v))
            json_object_set_new(name, "hashes", one_hash(v));
        else
            json_object_set(name, rule->props[i], v);
    }
    fh_err rc = FH_OK;
    if (json_object_size(name) == 0) {
        rc = FH_ERR_NOTFOUND; /* all contributing properties absent: UUIDv4 */
        goto done;
    }
    fh_buf canon;
    fh_buf_init(&canon, 0);
    rc = fh_json_canonical(name, &canon);
    if (rc == FH_OK) {
        fh_uuid u;
        char ustr[FH_UUID_STRLEN];
        fh_uuid_v5(&FH_UUID_STIX_SCO_NAMESPACE, canon.data, canon.len, &u);
        fh_uuid_format(&u, ustr);
        snprintf(out, outsize, "%s--%s", type, ustr);
    }
    fh_buf_cleanup(&canon);
done:
    json_decref(name);
    return rc;
}
