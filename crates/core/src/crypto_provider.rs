//! jsonwebtoken's `CryptoProvider` backed by ring (placeholder; being written).
