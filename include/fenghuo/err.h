/*
 * fenghuo error codes: the one enum every function of libfenghuo returns.
 *
 * A function returns FH_OK (0) on success or one of the codes below, and hands
 * results out through pointers marked OUT. Messages a user can act on travel
 * separately (diagnostic lists, error buffers); the code says what kind of
 * failure it was, so callers can map it to an exit status or an HTTP status.
 */
#ifndef FENGHUO_ERR_H
#define FENGHUO_ERR_H

typedef enum fh_err {
    FH_OK = 0,
    FH_ERR_NOMEM,       /* an allocation failed where failure is recoverable */
    FH_ERR_INVALID,     /* input is well-formed but breaks a rule */
    FH_ERR_PARSE,       /* input is not well-formed (JSON, pattern, timestamp) */
    FH_ERR_LIMIT,       /* input exceeds a configured limit */
    FH_ERR_IO,          /* a read or write failed */
    FH_ERR_NOTFOUND,    /* the thing asked for does not exist */
    FH_ERR_EXISTS,      /* the thing to create exists already */
    FH_ERR_CONFLICT,    /* the request conflicts with current state */
    FH_ERR_UNSUPPORTED, /* valid, but not something fenghuo can do */
    FH_ERR_AUTH,        /* missing or wrong credentials */
    FH_ERR_PERM,        /* credentials are fine, permission is not */
    FH_ERR_DB,          /* the store reported an error */
    FH_ERR_NET,         /* a network operation failed */
    FH_ERR_CRYPTO,      /* a cryptographic primitive or the CSPRNG failed */
    FH_ERR_USAGE,       /* a command line or API call is used wrongly */
    FH_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    FH_ERR__COUNT
} fh_err;

/* A short English description of rc; never NULL, static storage. */
const char *fh_strerror(fh_err rc);

#endif
