#ifndef COFFER_CSQLITE_SHIM_H
#define COFFER_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer: Swift cannot import it.
static inline sqlite3_destructor_type coffer_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// Extended result codes are macros over an expression (SQLITE_CONSTRAINT | (8<<8)): Swift cannot
// import them. A unique key taken, as opposed to any other constraint.
static inline int coffer_sqlite_is_unique_violation(int code) {
    return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_ROWID;
}

// sqlite3_db_config is variadic: Swift cannot call it. These set one boolean option each and
// return SQLITE_OK or an error code.

// Defensive mode: refuses writes to sqlite_schema, PRAGMA writable_schema and other ways an
// SQL string could corrupt the database file.
static inline int coffer_sqlite_enable_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

// Refuses double-quoted string literals in DDL and DML, so a misspelt column name in "quotes"
// is an error instead of silently becoming a string.
static inline int coffer_sqlite_disable_double_quoted_strings(sqlite3 *db) {
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)0);
}

// sqlite3_config is variadic too. SQLITE_CONFIG_MEMSTATUS off: by default every sqlite3_malloc and
// sqlite3_free takes one process-wide mutex to keep memory statistics (sqlite3_memory_used),
// which serialises the writer thread and every reader. Must run before sqlite3_initialize; it
// returns SQLITE_MISUSE (and changes nothing) if SQLite is already initialised.
static inline int coffer_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#if defined(__linux__)
#include <sys/prctl.h>
// Names the calling thread (at most 15 bytes) for `top -H` and perf: the writer thread that owns
// the write connection. prctl is variadic, so Swift cannot call it.
static inline int coffer_sqlite_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif

#endif
