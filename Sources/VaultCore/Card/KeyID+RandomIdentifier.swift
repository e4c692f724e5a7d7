/// Key IDs are generated like every other Coffer identifier (16 CSPRNG bytes, Base64URL), so
/// `KeyID.generate()` and the storage layer's identifier helpers work for them too.
extension KeyID: RandomIdentifier {}
