/*
 * STIX 2.1 validation of the STIX Domain Objects (section 4) and the STIX
 * Relationship Objects (section 5): one property table per type and the
 * rules between properties the specification states in words (valid_until
 * after valid_from, latitude with longitude, objects XOR object_refs, ...).
 *
 * Not for: common properties (stix-validate.c) or the pattern grammar,
 * which fh_pattern_parse owns; this file only calls it.
 */
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/pattern.h"
#include "stix/stix-internal.h"

/* ==== shared rows ======================================================== */

const fh__stix_prop fh__stix_kill_chain_phase[] = {
    P_STR_R("kill_chain_name"),
    P_STR_R("phase_name"),
    P_END,
};

#define KILL_CHAIN P_OBJS("kill_chain_phases", fh__stix_kill_chain_phase)

/* ==== rules ============================================================== */

static void seen_order(fh__stix_vctx *v, const json_t *o)
{
    fh__stix_check_order(v, o, "first_seen", "last_seen", false);
}

static void pattern_check(fh__stix_vctx *v, const json_t *o)
{
    const json_t *pt = json_object_get(o, "pattern");
    const char *type = fh_json_str(o, "pattern_type");
    if (!json_is_string(pt) || type == NULL || strcmp(type, "stix") != 0)
        return;
    fh_pattern *tree = NULL;
    fh_pattern_error err;
    memset(&err, 0, sizeof err);
    fh_err rc = fh_pattern_parse(json_string_value(pt), json_string_length(pt),
                                 v->opts->max_pattern_len, &tree, &err);
    if (rc == FH_ERR_LIMIT)
        fh__stix_error(v, "$.pattern", "is %zu bytes; the limit is %zu (max_pattern_len)",
                       json_string_length(pt),
                       v->opts->max_pattern_len ? v->opts->max_pattern_len
                                                : FH_STIX_DEFAULT_MAX_PATTERN_LEN);
    else if (rc != FH_OK)
        fh__stix_error(v, "$.pattern", "column %zu: %s", err.column,
                       err.message[0] ? err.message : "not a valid STIX pattern");
    fh_pattern_free(tree);
}

static void indicator_rules(fh__stix_vctx *v, const json_t *o)
{
    fh__stix_check_order(v, o, "valid_from", "valid_until", true);
    pattern_check(v, o);
}

static void malware_rules(fh__stix_vctx *v, const json_t *o)
{
    seen_order(v, o);
    if (json_is_true(json_object_get(o, "is_family")) && !json_object_get(o, "name"))
        fh__stix_error(v, "$.name", "is required when is_family is true (section 4.11)");
}

static void location_rules(fh__stix_vctx *v, const json_t *o)
{
    bool lat = json_object_get(o, "latitude") != NULL;
    bool lon = json_object_get(o, "longitude") != NULL;
    if (lat && !lon)
        fh__stix_error(v, "$.longitude", "is required when latitude is present (section 4.10)");
    if (lon && !lat)
        fh__stix_error(v, "$.latitude", "is required when longitude is present (section 4.10)");
    if (json_object_get(o, "precision") && !(lat && lon))
        fh__stix_error(v, "$.precision",
                       "needs both latitude and longitude to be present (section 4.10)");
    if (!json_object_get(o, "region") && !json_object_get(o, "country") && !(lat && lon))
        fh__stix_error(v, "$",
                       "a location needs at least one of region, country, or latitude and "
                       "longitude (section 4.10)");
    const char *country = fh_json_str(o, "country");
    if (country) {
        bool iso = strlen(country) == 2;
        for (const char *p = country; iso && *p; p++)
            iso = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
        if (!iso)
            fh__stix_warning(v, "$.country", "SHOULD be an ISO 3166-1 alpha-2 code");
    }
}

static void malware_analysis_rules(fh__stix_vctx *v, const json_t *o)
{
    if (!json_object_get(o, "result") && !json_object_get(o, "analysis_sco_refs"))
        fh__stix_error(v, "$", "one of result or analysis_sco_refs must be present (section 4.12)");
    fh__stix_check_order(v, o, "analysis_started", "analysis_ended", false);
}

static void observed_data_rules(fh__stix_vctx *v, const json_t *o)
{
    fh__stix_check_order(v, o, "first_observed", "last_observed", false);
    const json_t *objs = json_object_get(o, "objects");
    const json_t *refs = json_object_get(o, "object_refs");
    if (objs && refs)
        fh__stix_error(v, "$.objects",
                       "must not be present together with object_refs (section 4.14)");
    if (!objs && !refs)
        fh__stix_error(v, "$", "needs object_refs (or the deprecated objects) (section 4.14)");
    if (objs) {
        fh__stix_warning(v, "$.objects", "is deprecated; use object_refs (section 2.13)");
        if (!json_is_object(objs) || json_object_size(objs) == 0) {
            fh__stix_error(v, "$.objects",
                           "must be a dictionary holding at least one object (section 4.14)");
        } else {
            const char *key;
            json_t *sco;
            char kp[FH__STIX_PATH_MAX];
            json_object_foreach((json_t *)objs, key, sco)
            {
                fh__stix_path_key(kp, sizeof kp, "$.objects", key);
                if (!json_is_object(sco) || !json_is_string(json_object_get(sco, "type")))
                    fh__stix_error(v, kp, "must be a Cyber-observable Object with a type");
            }
        }
    }
    if (json_is_array(refs) && json_array_size(refs) > 0) {
        size_t i;
        json_t *r;
        bool sco = false;
        json_array_foreach(refs, i, r)
        {
            const char *s = json_string_value(r);
            if (s && fh_stix_id_valid(s, NULL)) {
                char t[251];
                size_t n = strlen(s) - 38;
                memcpy(t, s, n);
                t[n] = '\0';
                fh__stix_class c = fh__stix_class_of(t);
                if (c == FH__STIX_SCO || c == FH__STIX_CUSTOM)
                    sco = true;
            }
        }
        if (!sco)
            fh__stix_error(v, "$.object_refs",
                           "must contain at least one SCO reference (section 4.14)");
    }
}

static void relationship_rules(fh__stix_vctx *v, const json_t *o)
{
    const char *rt = fh_json_str(o, "relationship_type");
    if (rt) {
        bool ok = *rt != '\0';
        for (const char *p = rt; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
        if (!ok)
            fh__stix_error(v, "$.relationship_type",
                           "must be ASCII a-z 0-9 and hyphen (section 5.1)");
        else if (strlen(rt) < 3 || strlen(rt) > 250)
            fh__stix_error(v, "$.relationship_type",
                           "must be 3..250 characters long (section 3.1)");
    }
    fh__stix_check_order(v, o, "start_time", "stop_time", true);
}

static void sighting_rules(fh__stix_vctx *v, const json_t *o)
{
    seen_order(v, o);
    /* The errata's table gives summary the type string while its text says
     * "Default value is false": fenghuo takes the text (a boolean) and
     * tolerates the table's reading with a warning. */
    const json_t *s = json_object_get(o, "summary");
    if (s && json_is_string(s))
        fh__stix_warning(v, "$.summary", "should be a boolean (true or false), not a string");
    else if (s && !json_is_boolean(s))
        fh__stix_error(v, "$.summary", "must be a boolean (true or false)");
}

/* ==== tables ============================================================= */

#define NAME_DESC P_STR_R("name"), P_STR("description")

static const fh__stix_prop attack_pattern[] = {
    NAME_DESC,
    P_STRS("aliases"),
    KILL_CHAIN,
    P_END,
};
static const fh__stix_prop campaign[] = {
    NAME_DESC,           P_STRS("aliases"),  P_TIME("first_seen"),
    P_TIME("last_seen"), P_STR("objective"), P_END,
};
static const fh__stix_prop course_of_action[] = {
    NAME_DESC,
    P_RESERVED("action"),
    P_END,
};
static const fh__stix_prop grouping[] = {
    P_STR_R("name"), P_STR("description"), P_STR_R("context"), P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop identity[] = {
    NAME_DESC,
    P_STRS("roles"),
    P_STR("identity_class"),
    P_STRS("sectors"),
    P_STR("contact_information"),
    P_END,
};
static const fh__stix_prop incident[] = {
    NAME_DESC,
    P_END,
};
static const fh__stix_prop indicator[] = {
    P_STR("name"),
    P_STR("description"),
    P_STRS("indicator_types"),
    P_STR_R("pattern"),
    P_STR_R("pattern_type"),
    P_STR("pattern_version"),
    P_TIME_R("valid_from"),
    P_TIME("valid_until"),
    KILL_CHAIN,
    P_END,
};
static const fh__stix_prop infrastructure[] = {
    NAME_DESC,  P_STRS("infrastructure_types"), P_STRS("aliases"),
    KILL_CHAIN, P_TIME("first_seen"),           P_TIME("last_seen"),
    P_END,
};
static const fh__stix_prop intrusion_set[] = {
    NAME_DESC,
    P_STRS("aliases"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_STRS("goals"),
    P_STR("resource_level"),
    P_STR("primary_motivation"),
    P_STRS("secondary_motivations"),
    P_END,
};
static const fh__stix_prop location[] = {
    P_STR("name"),
    P_STR("description"),
    P_FLOAT_RANGE("latitude", -90.0, 90.0),
    P_FLOAT_RANGE("longitude", -180.0, 180.0),
    P_FLOAT("precision"),
    P_STR("region"),
    P_STR("country"),
    P_STR("administrative_area"),
    P_STR("city"),
    P_STR("street_address"),
    P_STR("postal_code"),
    P_END,
};
static const fh__stix_prop malware[] = {
    P_STR("name"),
    P_STR("description"),
    P_STRS("malware_types"),
    P_BOOL("is_family"),
    P_STRS("aliases"),
    KILL_CHAIN,
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_IDS("operating_system_refs", "software"),
    P_STRS("architecture_execution_envs"),
    P_STRS("implementation_languages"),
    P_STRS("capabilities"),
    P_IDS("sample_refs", "file artifact"),
    P_END,
};
static const fh__stix_prop malware_analysis[] = {
    P_STR_R("product"),
    P_STR("version"),
    P_ID("host_vm_ref", "software"),
    P_ID("operating_system_ref", "software"),
    P_IDS("installed_software_refs", "software"),
    P_STR("configuration_version"),
    P_STRS("modules"),
    P_STR("analysis_engine_version"),
    P_STR("analysis_definition_version"),
    P_TIME("submitted"),
    P_TIME("analysis_started"),
    P_TIME("analysis_ended"),
    P_STR("result_name"),
    P_STR("result"),
    P_IDS("analysis_sco_refs", "<sco>"),
    P_ID("sample_ref", "file network-traffic artifact"),
    P_END,
};
static const fh__stix_prop note[] = {
    P_STR("abstract"),
    P_STR_R("content"),
    P_STRS("authors"),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop observed_data[] = {
    P_TIME_R("first_observed"),
    P_TIME_R("last_observed"),
    P_INT_RANGE("number_observed", 1, 999999999, true),
    P_ANY("objects"),
    P_IDS("object_refs", "<sco-sro>"),
    P_END,
};
static const fh__stix_prop opinion[] = {
    P_STR("explanation"),
    P_STRS("authors"),
    P_ENUM_R("opinion", "strongly-disagree disagree neutral agree strongly-agree"),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop report[] = {
    NAME_DESC, P_STRS("report_types"), P_TIME_R("published"), P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop threat_actor[] = {
    NAME_DESC,
    P_STRS("threat_actor_types"),
    P_STRS("aliases"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_STRS("roles"),
    P_STRS("goals"),
    P_STR("sophistication"),
    P_STR("resource_level"),
    P_STR("primary_motivation"),
    P_STRS("secondary_motivations"),
    P_STRS("personal_motivations"),
    P_END,
};
static const fh__stix_prop tool[] = {
    NAME_DESC, P_STRS("tool_types"), P_STRS("aliases"), KILL_CHAIN, P_STR("tool_version"), P_END,
};
static const fh__stix_prop vulnerability[] = {
    NAME_DESC,
    P_END,
};
static const fh__stix_prop relationship[] = {
    P_STR_R("relationship_type"),
    P_STR("description"),
    P_ID_R("source_ref", "<sdo-sco>"),
    P_ID_R("target_ref", "<sdo-sco>"),
    P_TIME("start_time"),
    P_TIME("stop_time"),
    P_END,
};
static const fh__stix_prop sighting[] = {
    P_STR("description"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_INT_RANGE("count", 0, 999999999, false),
    P_ID_R("sighting_of_ref", "<sdo>"),
    P_IDS("observed_data_refs", "observed-data"),
    P_IDS("where_sighted_refs", "identity location"),
    P_ANY("summary"),
    P_END,
};

const fh__stix_type fh__stix_sdo_types[] = {
    {"attack-pattern", FH__STIX_SDO, attack_pattern, NULL, NULL},
    {"campaign", FH__STIX_SDO, campaign, seen_order, NULL},
    {"course-of-action", FH__STIX_SDO, course_of_action, NULL, NULL},
    {"grouping", FH__STIX_SDO, grouping, NULL, NULL},
    {"identity", FH__STIX_SDO, identity, NULL, NULL},
    {"incident", FH__STIX_SDO, incident, NULL, NULL},
    {"indicator", FH__STIX_SDO, indicator, indicator_rules, NULL},
    {"infrastructure", FH__STIX_SDO, infrastructure, seen_order, NULL},
    {"intrusion-set", FH__STIX_SDO, intrusion_set, seen_order, NULL},
    {"location", FH__STIX_SDO, location, location_rules, NULL},
    {"malware", FH__STIX_SDO, malware, malware_rules, NULL},
    {"malware-analysis", FH__STIX_SDO, malware_analysis, malware_analysis_rules, NULL},
    {"note", FH__STIX_SDO, note, NULL, NULL},
    {"observed-data", FH__STIX_SDO, observed_data, observed_data_rules, NULL},
    {"opinion", FH__STIX_SDO, opinion, NULL, NULL},
    {"report", FH__STIX_SDO, report, NULL, NULL},
    {"threat-actor", FH__STIX_SDO, threat_actor, seen_order, NULL},
    {"tool", FH__STIX_SDO, tool, NULL, NULL},
    {"vulnerability", FH__STIX_SDO, vulnerability, NULL, NULL},
    {"relationship", FH__STIX_SRO, relationship, relationship_rules, NULL},
    {"sighting", FH__STIX_SRO, sighting, sighting_rules, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
