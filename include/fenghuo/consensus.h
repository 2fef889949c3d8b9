/*
 * Trust and consensus arithmetic (docs/SHARING.md, "Trust and consensus"):
 * the weight of an organization's report, its exponential decay, the score
 * of an observable value, the time at which a score falls below the
 * publication threshold, and the confidence of a published indicator.
 *
 * Pure functions over numbers: no store, no clock, no I/O. The hub's store
 * (lib/store/store-consensus.c) keeps the reports and calls these.
 */
#ifndef FENGHUO_CONSENSUS_H
#define FENGHUO_CONSENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

/* The kinds of observable value with a half-life of their own. */
typedef enum fh_consensus_kind {
    FH_CONSENSUS_ADDRESS = 0, /* an IPv4/IPv6 address or prefix */
    FH_CONSENSUS_DOMAIN,      /* a domain name */
    FH_CONSENSUS_URL,         /* a URL */
    FH_CONSENSUS_HASH,        /* a file hash */
    FH_CONSENSUS__KINDS
} fh_consensus_kind;

/* The operator's view of an organization (`admin org set ORG --trust`). */
typedef enum fh_trust_level {
    FH_TRUST_LOW = 0,
    FH_TRUST_NORMAL = 1,
    FH_TRUST_HIGH = 2,
    FH_TRUST__LEVELS
} fh_trust_level;

/* Defaults; docs/SHARING.md says why. */
#define FH_CONSENSUS_DEFAULT_THRESHOLD   1.5
#define FH_CONSENSUS_DEFAULT_INTERVAL_S  10
#define FH_CONSENSUS_HALF_LIFE_ADDRESS_S (24.0 * 3600)
#define FH_CONSENSUS_HALF_LIFE_DOMAIN_S  (7.0 * 86400)
#define FH_CONSENSUS_HALF_LIFE_URL_S     (7.0 * 86400)
#define FH_CONSENSUS_HALF_LIFE_HASH_S    (30.0 * 86400)
/* Feedback: each point of agreement adds AGREE_STEP to an organization's
 * trust factor, each point of disagreement takes DISPUTE_STEP away; one
 * other organization's opinions count for at most OPINION_CAP points each
 * way; the factor stays within [0, FEEDBACK_MAX]. */
#define FH_CONSENSUS_AGREE_STEP   0.1
#define FH_CONSENSUS_DISPUTE_STEP 0.25
#define FH_CONSENSUS_OPINION_CAP  2
#define FH_CONSENSUS_FEEDBACK_MAX 1.5

typedef struct fh_consensus_config {
    double half_life_s[FH_CONSENSUS__KINDS]; /* > 0 */
    double threshold;                        /* score needed to publish, > 0 */
    double weight[FH_TRUST__LEVELS];         /* low, normal, high: 0.25, 1, 2 */
    unsigned interval_s;                     /* the hub's decay check period, >= 1 */
} fh_consensus_config;

/* The defaults above. */
void fh_consensus_config_init(fh_consensus_config *c);

/* Parses "KIND=DURATION" (KIND: address, domain, url, hash; DURATION: a
 * number with s, m, h or d, 1 s to 3650 d) into c. FH_ERR_USAGE with a
 * message in err (may be NULL) otherwise. */
fh_err fh_consensus_parse_half_life(fh_consensus_config *c, const char *text, fh_buf *err);

/* "address", "domain", "url", "hash". */
const char *fh_consensus_kind_name(fh_consensus_kind k);
/* "low", "normal", "high"; and the parse (FH_ERR_INVALID otherwise). */
const char *fh_trust_level_name(fh_trust_level t);
fh_err fh_trust_level_parse(const char *name, fh_trust_level *out /* OUT */);

/* 2^(-age_s / half_life_s); 1 for ages at or below 0. */
double fh_consensus_decay(double age_s, double half_life_s);

/* An organization's feedback points: agree and disagree are sums over the
 * other organizations that gave opinions, each already capped with
 * fh_consensus_cap. Returns 1 + 0.1 agree - 0.25 disagree within [0, 1.5]. */
double fh_consensus_feedback(unsigned agree, unsigned disagree);
/* min(points, FH_CONSENSUS_OPINION_CAP). */
unsigned fh_consensus_cap(unsigned points);

/* trust = weight[level] x feedback. */
double fh_consensus_trust(const fh_consensus_config *c, fh_trust_level level, double feedback);

/* One organization's latest report on a value. */
typedef struct fh_consensus_report {
    double trust;  /* fh_consensus_trust of its organization */
    int64_t at_us; /* when it was made, microseconds since the epoch */
} fh_consensus_report;

/* Sum of trust x decay(now - at) over n reports (one per organization). */
double fh_consensus_score(const fh_consensus_report *r, size_t n, int64_t now_us,
                          double half_life_s);

/* When a score of `score` at now, decaying with half_life_s and fed
 * nothing new, falls below threshold: now + half_life x log2(score /
 * threshold). now_us itself when score is below the threshold. */
int64_t fh_consensus_until(double score, double threshold, int64_t now_us, double half_life_s);

/* The STIX confidence (1..100) of a published value: round(100 s / (s + T))
 * for score s and threshold T, so a value just at the threshold has 50. */
int fh_consensus_confidence(double score, double threshold);

#endif
