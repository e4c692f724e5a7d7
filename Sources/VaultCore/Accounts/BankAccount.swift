/// A US bank account an ACH payment can debit or credit. The account number is as sensitive as
/// a PAN — the vault encrypts and fingerprints it and never prints it; the routing number names
/// a bank and is public.
public struct BankAccount: Sendable, Equatable {
    public var routingNumber: RoutingNumber
    public var accountNumber: BankAccountNumber
    public var accountType: BankAccountType

    public init(routingNumber: RoutingNumber, accountNumber: BankAccountNumber, accountType: BankAccountType) {
        self.routingNumber = routingNumber
        self.accountNumber = accountNumber
        self.accountType = accountType
    }
}

/// An ABA routing transit number: nine digits whose weighted sum (3, 7, 1 repeating) is a
/// multiple of ten, which catches every single-digit typo.
public struct RoutingNumber: Sendable, Hashable, CustomStringConvertible {
    public let digits: String

    public init(_ digits: String) throws(BankAccountError) {
        let values = digits.utf8.map { Int($0) &- 0x30 }
        guard values.count == 9, values.allSatisfy({ (0...9).contains($0) }) else { throw .invalidRoutingNumber }
        let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
        guard zip(values, weights).reduce(0, { $0 + $1.0 * $1.1 }) % 10 == 0 else { throw .routingCheckFailed }
        self.digits = digits
    }

    public var description: String { digits }
}

/// A bank account number, 4–17 ASCII digits. Like `PrimaryAccountNumber` it never prints more
/// than its last four digits.
public struct BankAccountNumber: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let storage: String

    public init(_ digits: String) throws(BankAccountError) {
        guard (4...17).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .invalidAccountNumber
        }
        storage = digits
    }

    public var last4: String { String(decoding: storage.utf8.suffix(4), as: UTF8.self) }
    /// The full number. Secret: never log it, persist it in the clear, or put it in errors.
    public var digits: String { storage }

    public var description: String { "BankAccountNumber(••••\(last4))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The kind of account, by the one-letter codes ACH APIs such as TabaPay's use.
public enum BankAccountType: String, Sendable, CaseIterable {
    case checking = "C"
    case savings = "S"
    case businessChecking = "A"
    case businessSavings = "B"
    case loan = "L"
}

/// Why bank account data was refused. No case carries a payload, so no error can leak a number.
public enum BankAccountError: Error, Equatable, Sendable, CaseIterable {
    case invalidRoutingNumber
    case routingCheckFailed
    case invalidAccountNumber
    case invalidAccountType

    public var code: String {
        switch self {
        case .invalidRoutingNumber: "invalid_routing_number"
        case .routingCheckFailed: "routing_check_failed"
        case .invalidAccountNumber: "invalid_bank_account_number"
        case .invalidAccountType: "invalid_bank_account_type"
        }
    }

    public var message: String {
        switch self {
        case .invalidRoutingNumber: "The routing number must be 9 digits."
        case .routingCheckFailed: "The routing number is not valid: its check digit does not match."
        case .invalidAccountNumber: "The bank account number must be 4 to 17 digits."
        case .invalidAccountType: "The bank account type is not one of the accepted codes."
        }
    }
}
