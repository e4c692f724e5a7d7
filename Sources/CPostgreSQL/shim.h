#ifndef COFFER_CPOSTGRESQL_SHIM_H
#define COFFER_CPOSTGRESQL_SHIM_H

#include <libpq-fe.h>

// The PG_DIAG_* field codes are character-literal macros: Swift does not import them.
static inline int coffer_pg_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int coffer_pg_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int coffer_pg_diag_table_name(void) { return PG_DIAG_TABLE_NAME; }
static inline int coffer_pg_diag_column_name(void) { return PG_DIAG_COLUMN_NAME; }
static inline int coffer_pg_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }

// The server's notices (a NOTICE from a migration's IF NOT EXISTS, a WARNING) would go to
// stderr by default, outside the structured log: drop them.
static void coffer_pg_ignore_notice(void *arg, const char *message) { (void)arg; (void)message; }
static inline void coffer_pg_silence_notices(PGconn *connection) {
    PQsetNoticeProcessor(connection, coffer_pg_ignore_notice, (void *)0);
}

#endif
