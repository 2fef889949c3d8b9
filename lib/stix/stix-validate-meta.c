/*
 * STIX 2.1 validation of the STIX Meta Objects (section 7): marking
 * definitions (statement markings, the four TLP 1.0 objects of section
 * 7.2.1.4 and the five TLP 2.0 objects of the OASIS TLP 2.0 extension, each
 * of which must be reproduced exactly), language content and extension
 * definitions.
 *
 * Not for: applying markings to objects (object_marking_refs and
 * granular_markings are common properties, stix-validate.c) or deciding
 * who may see what (lib/policy).
 */
#include <string.h>

#include "fenghuo/json.h"
#include "stix/stix-internal.h"

/* ==== TLP ================================================================ */

/* Section 7.2.1.4: "the only instances of TLP marking definitions
 * permitted are those defined here". */
static const struct tlp_object {
    const char *id;
    const char *json;
} tlp_objects[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:WHITE\",\"definition\":{\"tlp\":\"white\"}}"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:GREEN\",\"definition\":{\"tlp\":\"green\"}}"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:AMBER\",\"definition\":{\"tlp\":\"amber\"}}"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
     "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\","
     "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
     "\"name\":\"TLP:RED\",\"definition\":{\"tlp\":\"red\"}}"},
/* TLP 2.0 (oasis-open/cti-stix-common-objects, extension-definition
 * 60a3c5c5-0d10-413e-aab3-9e08dde9e88d). */
#define TLP2(uuid, name, level)                                                                    \
    {                                                                                              \
        "marking-definition--" uuid,                                                               \
            "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","                           \
            "\"id\":\"marking-definition--" uuid "\",\"created\":\"2022-10-01T00:00:00.000Z\","    \
            "\"name\":\"" name                                                                     \
            "\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-"                  \
            "9e08dde9e88d\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"" level       \
            "\"}}}"                                                                                \
    }
    TLP2("94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    TLP2("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    TLP2("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    TLP2("939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict"),
    TLP2("e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
#undef TLP2
};

#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

static const struct tlp_object *find_tlp(const char *id)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(tlp_objects); i++)
        if (strcmp(tlp_objects[i].id, id) == 0)
            return &tlp_objects[i];
    return NULL;
}

/* Names what differs between the object and the fixed TLP object. */
static void compare_tlp(fh__stix_vctx *v, const json_t *obj, const struct tlp_object *t)
{
    json_error_t jerr;
    json_t *want = json_loads(t->json, 0, &jerr);
    if (want == NULL) {
        fh__stix_error(v, "$", "internal: TLP table entry does not parse");
        return;
    }
    const char *key;
    json_t *val;
    char pp[FH__STIX_PATH_MAX];
    json_object_foreach(want, key, val)
    {
        fh__stix_path_key(pp, sizeof pp, "$", key);
        const json_t *got = json_object_get(obj, key);
        if (!json_equal(got, val))
            fh__stix_error(v, pp,
                           "%s: a TLP marking definition must be exactly the published object "
                           "(sections 7.2.1.4 and TLP 2.0)",
                           got ? "differs" : "is missing");
    }
    json_object_foreach((json_t *)obj, key, val)
    {
        if (json_object_get(want, key) == NULL) {
            fh__stix_path_key(pp, sizeof pp, "$", key);
            fh__stix_error(v, pp,
                           "is not part of the published TLP marking definition and must not be "
                           "added");
        }
    }
    json_decref(want);
}

void fh__stix_check_marking(fh__stix_vctx *v, const json_t *obj)
{
    const char *id = fh_json_str(obj, "id");
    const struct tlp_object *tlp = id ? find_tlp(id) : NULL;
    if (tlp) {
        compare_tlp(v, obj, tlp);
        return;
    }
    const json_t *exts = json_object_get(obj, "extensions");
    const json_t *dtv = json_object_get(obj, "definition_type");
    const json_t *def = json_object_get(obj, "definition");
    const char *dt = json_string_value(dtv);
    if (exts == NULL) {
        if (dtv == NULL)
            fh__stix_error(v, "$.definition_type",
                           "is required when extensions is not present (section 7.2.1)");
        if (def == NULL)
            fh__stix_error(v, "$.definition",
                           "is required when extensions is not present (section 7.2.1)");
    }
    if (dtv && !def)
        fh__stix_error(v, "$.definition", "is required with definition_type (section 7.2.1)");
    if (def && !dtv)
        fh__stix_error(v, "$.definition_type", "is required with definition (section 7.2.1)");
    if (def && !json_is_object(def))
        fh__stix_error(v, "$.definition", "must be a JSON object");
    if (dt && strcmp(dt, "tlp") == 0) {
        fh__stix_error(v, "$.id",
                       "a TLP marking definition must be one of the four objects of section "
                       "7.2.1.4 (TLP:WHITE, GREEN, AMBER, RED); others must not be created");
    } else if (dt && strcmp(dt, "statement") == 0) {
        if (json_is_object(def)) {
            const json_t *st = json_object_get(def, "statement");
            if (st == NULL)
                fh__stix_error(v, "$.definition.statement", "is required (section 7.2.1.3)");
            else if (!json_is_string(st))
                fh__stix_error(v, "$.definition.statement", "must be a string");
            const char *key;
            json_t *val;
            char pp[FH__STIX_PATH_MAX];
            json_object_foreach((json_t *)def, key, val)
            {
                if (strcmp(key, "statement") != 0 && v->opts->warn_unknown_properties) {
                    fh__stix_path_key(pp, sizeof pp, "$.definition", key);
                    fh__stix_warning(v, pp, "'%s' is not a property of a statement marking", key);
                }
            }
        }
    } else if (dtv && !dt) {
        fh__stix_error(v, "$.definition_type", "must be a string");
    } else if (dt) {
        fh__stix_warning(v, "$.definition_type",
                         "SHOULD be statement or tlp; new markings SHOULD use an extension "
                         "(section 7.2.1)");
    }
    /* The TLP 2.0 extension on any other id is a TLP instance nobody
     * published. */
    if (json_is_object(exts) && json_object_get(exts, TLP2_EXT))
        fh__stix_error(v, "$.id",
                       "a TLP 2.0 marking definition must be one of the five published objects "
                       "(TLP:CLEAR, GREEN, AMBER, AMBER+STRICT, RED)");
}

/* ==== rules ============================================================== */

static void marking_rules(fh__stix_vctx *v, const json_t *obj)
{
    fh__stix_check_marking(v, obj);
}

static void language_content_rules(fh__stix_vctx *v, const json_t *obj)
{
    const json_t *contents = json_object_get(obj, "contents");
    const char *key;
    json_t *val;
    char pp[FH__STIX_PATH_MAX];
    if (!json_is_object(contents))
        return;
    json_object_foreach((json_t *)contents, key, val)
    {
        fh__stix_path_key(pp, sizeof pp, "$.contents", key);
        if (!fh__stix_lang_valid(key))
            fh__stix_error(v, pp, "keys must be RFC 5646 language codes (section 7.1)");
        if (!json_is_object(val) || json_object_size(val) == 0)
            fh__stix_error(v, pp,
                           "must be a non-empty dictionary mirroring the target's properties");
    }
}

static void extension_definition_rules(fh__stix_vctx *v, const json_t *obj)
{
    const json_t *types = json_object_get(obj, "extension_types");
    bool toplevel = false;
    size_t i;
    json_t *t;
    if (json_is_array(types))
        json_array_foreach(types, i, t)
        {
            if (json_is_string(t) &&
                strcmp(json_string_value(t), "toplevel-property-extension") == 0)
                toplevel = true;
        }
    const json_t *props = json_object_get(obj, "extension_properties");
    if (props && !toplevel)
        fh__stix_error(v, "$.extension_properties",
                       "must only be used when extension_types includes "
                       "toplevel-property-extension (section 7.3.1)");
    if (!props && toplevel)
        fh__stix_warning(v, "$.extension_properties",
                         "SHOULD list the property names a toplevel-property-extension adds");
    char pp[FH__STIX_PATH_MAX];
    if (json_is_array(props))
        json_array_foreach(props, i, t)
        {
            if (json_is_string(t) && !fh__stix_prop_name_valid(json_string_value(t))) {
                fh__stix_path_index(pp, sizeof pp, "$.extension_properties", i);
                fh__stix_error(v, pp,
                               "must be a property name: 3..250 characters a-z 0-9 _ (section "
                               "7.3.2)");
            }
        }
}

/* ==== tables ============================================================= */

static const fh__stix_prop marking_definition[] = {
    P_STR("name"),
    P_ANY("definition_type"),
    P_ANY("definition"),
    P_END,
};
static const fh__stix_prop language_content[] = {
    P_ID_R("object_ref", "<any>"),
    P_TIME("object_modified"),
    P_DICT_R("contents", FH__DV_ANY),
    P_END,
};
static const fh__stix_prop extension_definition[] = {
    P_STR_R("name"),
    P_STR("description"),
    P_STR_R("schema"),
    P_STR_R("version"),
    P_ENUMS_R("extension_types",
              "new-sdo new-sco new-sro property-extension toplevel-property-extension"),
    P_STRS("extension_properties"),
    P_END,
};

const fh__stix_type fh__stix_meta_types[] = {
    {"marking-definition", FH__STIX_MARKING, marking_definition, marking_rules, NULL},
    {"language-content", FH__STIX_LANGUAGE, language_content, language_content_rules, NULL},
    {"extension-definition", FH__STIX_EXTDEF, extension_definition, extension_definition_rules,
     NULL},
    {NULL, 0, NULL, NULL, NULL},
};
