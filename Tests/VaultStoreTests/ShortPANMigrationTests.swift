import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

@Suite(.ownThreads) struct ShortPANMigrationTests {
    /// Rows stored with six leading digits before the migration: American Express and UATP numbers
    /// are 15 digits, so theirs shrink to five; other brands' rows cannot be told apart by length
    /// and keep what they had.
    @Test func fifteenDigitBrandsKeepFiveLeadingDigits() async throws {
        let directory = try ScratchDirectory()
        let before = Array(embeddedMigrationFiles.prefix { !$0.name.hasSuffix("_short_pan_masking.sql") })
        #expect(before.count < embeddedMigrationFiles.count, "the migration is embedded")
        let tenant = Sample.tenant()
        let rows: [(bin: String, brand: CardBrand, expected: String)] = [
            ("378282", .amex, "37828"),
            ("340000", .amex, "34000"),
            ("100000", .uatp, "10000"),
            ("411111", .visa, "411111"),
            ("501812", .maestro, "501812"),  // may be a 12-digit Maestro: left as stored (documented)
            ("37828", .amex, "37828"),  // already short: untouched
        ]
        var tokens: [Token] = []
        let old = try SQLiteStorage.open(path: directory.database, migrations: before)
        try await old.write { writer in
            try writer.insertTenant(tenant)
            try writer.insertDataKey(Sample.dataKey(1))
        }
        for row in rows {
            var card = Sample.card(tenant: tenant.id)
            card.bin = row.bin
            card.brand = row.brand
            tokens.append(card.token)
            try await old.write { [card] in try $0.insertCard(card) }
        }
        await old.close()

        let migrated = try SQLiteStorage.open(path: directory.database)
        #expect(migrated.appliedMigrations.first?.hasSuffix("_short_pan_masking.sql") == true)
        for (token, row) in zip(tokens, rows) {
            let card = try await migrated.read { try $0.card(token, tenant: tenant.id) }
            #expect(card?.bin == row.expected, "\(row.brand) \(row.bin)")
        }
        await migrated.close()
    }
}
