import ArgumentParsing

/// The `coffer` command tree: what each command accepts and says about itself in `--help`.
enum CommandTree {
    static let dataDirectory = OptionSpec("data-dir", short: "d", valueName: "DIR", help: "The vault's data directory (SQLite).")
    static let database = OptionSpec(
        "database", valueName: "URI",
        help: "A PostgreSQL vault instead: postgresql://USER@HOST:PORT/DATABASE (or set \(StorageLocation.databaseVariable), which keeps a password out of `ps`).")
    /// Where the vault is: one of the two (`StorageLocation`).
    static let location = [dataDirectory, database]
    /// Where the master key comes from (`MasterKeySource` has the precedence).
    static let masterKey = [
        OptionSpec("master-key-file", valueName: "FILE",
                   help: """
                       The master key file (or set \(LaunchEnvironment.masterKeyFileVariable); else \
                       \(LaunchEnvironment.masterKeyVariable), then DIR/keys/master.key).
                       """),
        OptionSpec("master-key-command", valueName: "CMD",
                   help: "A shell command that prints the master key, e.g. a KMS CLI (or set \(LaunchEnvironment.masterKeyCommandVariable))."),
        OptionSpec("master-key-command-timeout", valueName: "SECONDS",
                   help: "How long the master-key command may take.",
                   defaultValue: String(KeyCommand.defaultTimeout.components.seconds)),
    ]
    static let keyInDataDirectory = FlagSpec(
        "master-key-in-data-dir", help: "Allow a new master key file inside the data directory (development only).")
    static let batchSize = OptionSpec("batch-size", valueName: "N", help: "Records per transaction.", defaultValue: "500")

    static let json = FlagSpec("json", help: "Print one JSON object instead of text.")
    static let tenant = OptionSpec("tenant", valueName: "TENANT", help: "The tenant's id.", isRequired: true)

    static let checkpointFile = OptionSpec(
        "checkpoint-file", valueName: "FILE",
        help: "Where sealed audit checkpoints are appended (default DIR/audit-checkpoints.jsonl).")

    static let root = CommandSpec(
        "coffer",
        abstract: "A self-hosted tokenizing card vault.",
        discussion: """
            Card numbers in, tokens out: numbers are stored only as AES-256-GCM ciphertext under \
            keys wrapped by a master key that lives outside the database.
            """,
        subcommands: [
            CommandSpec(
                "init", abstract: "Create a vault — a data directory, or a PostgreSQL database's schema — its master key and first tenant.",
                discussion: """
                    Prints one JSON object {"tenantId": …, "apiKey": …} on stdout. The API key has \
                    every role and is shown only this once.

                    The master key comes from --master-key-file FILE (created there, mode 0600, if it does \
                    not exist), --master-key-command CMD, COFFER_MASTER_KEY or COFFER_MASTER_KEY_COMMAND. \
                    A key file inside DIR is refused unless --master-key-in-data-dir is given. With --database \
                    (an existing, empty PostgreSQL database) the master key must be given: it is never stored there.
                    """,
                options: location + masterKey + [
                    OptionSpec("tenant-name", valueName: "NAME", help: "Name of the first tenant.", defaultValue: "default"),
                ],
                flags: [keyInDataDirectory]),
            CommandSpec(
                "serve", abstract: "Run the vault's HTTP API until SIGTERM or SIGINT.",
                discussion: """
                    Without TLS the server binds only to loopback unless --allow-plaintext is given. \
                    With --dev, a missing data directory (default ./data) is initialized first and its \
                    admin API key printed once. Prints "listening on URL" on stdout; logs are JSON lines on stderr.

                    Every option and flag may also come from an environment variable, COFFER_ and its name \
                    in capitals with '_' for '-' (COFFER_LISTEN, COFFER_DATA_DIR, …), and from the --config \
                    file, keyed by its name (listen = 127.0.0.1:8080). A flag beats the environment, which \
                    beats the file, which beats the default.
                    """,
                options: [
                    OptionSpec("data-dir", short: "d", valueName: "DIR",
                               help: "The vault's data directory (default ./data with --dev)."),
                    database,
                    OptionSpec("read-database", valueName: "URI",
                               help: "A PostgreSQL streaming replica of --database for reads that may lag other nodes' writes (never this node's own; docs/operations.md)."),
                ] + masterKey + [
                    OptionSpec("listen", valueName: "HOST:PORT", help: "Address to listen on (port 0: any free port).",
                               defaultValue: "127.0.0.1:8080"),
                    OptionSpec("tls-cert", valueName: "FILE", help: "TLS certificate chain (PEM)."),
                    OptionSpec("tls-key", valueName: "FILE", help: "TLS private key (PEM)."),
                    OptionSpec("max-body-bytes", valueName: "N", help: "Largest request body accepted.",
                               defaultValue: "1048576"),
                    checkpointFile,
                    OptionSpec("log-level", valueName: "LEVEL", help: "The least severe log lines written: debug, info, warning or error.",
                               defaultValue: "info"),
                    OptionSpec("config", valueName: "FILE", help: "Read settings from FILE: 'key = value' lines, '#' comments (or set COFFER_CONFIG)."),
                ] + CardVerifierSettings.options + OutboxSettings.options,
                flags: [
                    FlagSpec("dev", help: "Development mode: initialize the data directory if needed, its master key inside it."),
                    FlagSpec("allow-plaintext", help: "Allow plain HTTP on a non-loopback address."),
                    FlagSpec("print-config", help: "Print the effective settings and where each comes from, then exit."),
                ]),
            CommandSpec(
                "migrate", abstract: "Apply pending database migrations.",
                options: location),
            CommandSpec(
                "keys", abstract: "Manage data keys and the master key.",
                subcommands: [
                    CommandSpec(
                        "rotate", abstract: "Add a data-key version and re-encrypt every sealed record to it.",
                        discussion: """
                            Re-encrypts cards, single-use card tokens, accounts, idempotency records, sync \
                            clients and their payment methods, payment settings, platform clients and gateway \
                            cards in batches, one transaction each. If a previous rotation was interrupted, or \
                            a running server sealed records under the old version meanwhile, it is finished \
                            instead of adding another version, so running this again is always safe.
                            """,
                        options: location + masterKey + [batchSize]),
                    CommandSpec(
                        "status", abstract: "Show data-key versions and how many records of each kind each seals.",
                        options: location + masterKey, flags: [json]),
                    CommandSpec(
                        "retire", abstract: "Destroy a data-key version that seals nothing any more.",
                        discussion: """
                            Deletes the version's wrapped key, so nothing in the vault opens what was sealed under \
                            it any more (backups taken before still hold it). Refused for the active version, while \
                            `keys status` counts records under it (run `keys rotate`), and for two minutes after a \
                            newer version was added, while a running server may still seal under it.
                            """,
                        options: location + masterKey + [
                            OptionSpec("version", valueName: "N", help: "The data-key version to destroy.", isRequired: true),
                        ]),
                    CommandSpec(
                        "rotate-master", abstract: "Rewrap every key under a new master key; --finish retires the old one.",
                        discussion: """
                            Run with the current master key and --new-master-key-file FILE (created there if it \
                            does not exist) or --new-master-key-command CMD: every wrapped key — data keys, \
                            tenant fingerprint keys, card-data private keys, SSO secrets, the audit key and the \
                            check value — is rewrapped under the new key. Running servers keep working with \
                            either key. Interrupted, run it again.

                            Then restart every server with the new key and run `coffer keys rotate-master \
                            --finish` with the new key as the master key: it rewraps anything left and removes \
                            the link between the keys, after which the old key opens nothing.
                            """,
                        options: location + masterKey + [
                            OptionSpec("new-master-key-file", valueName: "FILE", help: "The new master key file."),
                            OptionSpec("new-master-key-command", valueName: "CMD",
                                       help: "A shell command that prints the new master key."),
                            batchSize,
                        ],
                        flags: [
                            FlagSpec("finish", help: "Finish a rotation, run with the new master key."),
                            keyInDataDirectory,
                        ]),
                ]),
            CommandSpec(
                "audit", abstract: "Verify, checkpoint and export the audit log.",
                discussion: """
                    The log is a chain of HMAC-SHA256 values under an audit key wrapped by the master key, \
                    so every audit command needs the master key.
                    """,
                subcommands: [
                    CommandSpec(
                        "verify", abstract: "Check every entry's MAC, and that the log reaches every checkpoint.",
                        discussion: """
                            Reads the checkpoint file (default DIR/audit-checkpoints.jsonl) and every \
                            --checkpoints FILE. Exits 0 when intact; otherwise names the first bad entry \
                            (edited, missing, or cut off after a checkpoint) and exits 65.
                            """,
                        options: location + masterKey + [checkpointFile,
                                  OptionSpec("checkpoints", valueName: "FILE", help: "More checkpoints (JSON lines), e.g. from a log server.",
                                             isRepeatable: true)],
                        flags: [json]),
                    CommandSpec(
                        "checkpoint", abstract: "Seal the log's head, append it to the checkpoint file and print it.",
                        options: location + masterKey + [checkpointFile]),
                    CommandSpec(
                        "upgrade", abstract: "Give a vault whose audit log predates the keyed chain its audit key (once).",
                        discussion: """
                            Stop every server first. The existing entries stay verifiable as the unkeyed prefix; \
                            every later entry is keyed. Refused when the vault has an audit key, or had one \
                            (keyed entries whose key is gone: restore metadata.audit_key from a backup).
                            """,
                        options: location + masterKey),
                    CommandSpec(
                        "export", abstract: "Write entries as JSON lines, then a sealed checkpoint of the head.",
                        discussion: "For shipping the log to a log server (PCI DSS 10.3); --after N resumes after entry N.",
                        options: location + masterKey + [
                                  OptionSpec("after", valueName: "N", help: "Export entries after sequence N.", defaultValue: "0"),
                                  OptionSpec("out", valueName: "FILE", help: "Write to a new file instead of stdout.")]),
                ]),
            CommandSpec(
                "tenants", abstract: "List, create, disable and enable tenants (master-key holder).",
                discussion: """
                    Works on the data directory, beside a running server; each change is audited (actor cli). \
                    A server stops serving a disabled tenant within its key cache's lifetime (2 s).
                    """,
                subcommands: [
                    CommandSpec("list", abstract: "Every tenant as one JSON object per line.", options: location + masterKey),
                    CommandSpec("create", abstract: "A new tenant and its admin API key, shown once.",
                                options: location + masterKey + [
                                    OptionSpec("name", valueName: "NAME", help: "The tenant's name.", isRequired: true),
                                    OptionSpec("parent", valueName: "TENANT", help: "Make it a sub-tenant of TENANT."),
                                ]),
                    CommandSpec("disable", abstract: "Refuse the tenant's (and its sub-tenants') keys and tokens.",
                                options: location + masterKey + [tenant]),
                    CommandSpec("enable", abstract: "Serve a disabled tenant again.", options: location + masterKey + [tenant]),
                ]),
            CommandSpec(
                "apikeys", abstract: "List, create and revoke a tenant's API keys (master-key holder).",
                discussion: """
                    Recovers a lost admin key: create a new one with --roles admin, revoke the lost one. Works \
                    beside a running server; each change is audited (actor cli). Lists never show a secret.
                    """,
                subcommands: [
                    CommandSpec("list", abstract: "The tenant's keys as one JSON object per line.",
                                options: location + masterKey + [tenant]),
                    CommandSpec("create", abstract: "A new key, its secret shown once.",
                                options: location + masterKey + [tenant,
                                    OptionSpec("roles", valueName: "ROLES", help: "Roles separated by commas, e.g. admin or tokenize,reveal.",
                                               isRequired: true),
                                    OptionSpec("label", valueName: "TEXT", help: "What the key is for."),
                                ]),
                    CommandSpec("revoke", abstract: "Revoke a key.",
                                options: location + masterKey + [tenant,
                                    OptionSpec("key", valueName: "ID", help: "The key's id (not its secret).", isRequired: true),
                                ]),
                ]),
            CommandSpec(
                "outbox", abstract: "Inspect outbound delivery and retry dead messages.",
                discussion: """
                    Messages are delivered at least once, with exponential backoff; after the last attempt a \
                    message is dead until retried here. Works beside a running server; a retry is audited.
                    """,
                subcommands: [
                    CommandSpec("list", abstract: "Messages as one JSON object per line (never a payload).",
                                options: location + masterKey + [
                                    OptionSpec("state", valueName: "STATE", help: "Only pending, delivered or dead messages."),
                                ]),
                    CommandSpec("retry", abstract: "Queue a dead message again, due now.",
                                options: location + masterKey + [
                                    OptionSpec("id", valueName: "ID", help: "The message's id.", isRequired: true),
                                ]),
                ]),
            CommandSpec(
                "backup", abstract: "Write a consistent snapshot of the vault to a file, while it runs.",
                discussion: """
                    The snapshot is the database (ciphertext and wrapped keys only) and a manifest: schema, \
                    data-key versions, the audit head sealed under the audit key, and a SHA-256 checksum. \
                    The master key is needed to check the copy, and is never in it: store the two apart. \
                    Prints the manifest as one JSON object. A PostgreSQL vault is backed up with PostgreSQL's \
                    tools instead (pg_dump, base backups), and refused here.
                    """,
                options: location + masterKey + [
                    OptionSpec("out", valueName: "FILE", help: "The snapshot file to create.", isRequired: true),
                ]),
            CommandSpec(
                "restore", abstract: "Make a new data directory from a snapshot.",
                discussion: """
                    Refuses (exit 65, nothing restored) a snapshot whose checksum does not match or whose audit \
                    log is broken or does not reach its sealed head, and (exit 78) one the master key does not open. \
                    DIR must not hold a vault.
                    """,
                options: location + masterKey + [
                    OptionSpec("from", valueName: "FILE", help: "The snapshot file.", isRequired: true),
                ]),
        ],
        version: "coffer \(BuildInfo.version) (commit \(BuildInfo.commit))")
}
