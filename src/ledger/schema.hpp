// The ledger's schema, versioned by PRAGMA user_version and migrated forward step by step.
#pragma once

#include "core/error.hpp"
#include "ledger/sqlite.hpp"

namespace gpunb::ledger {

// The version a freshly migrated ledger has: the number of migration steps this gpunb knows.
int latest_schema_version();

// Applies the missing steps in one write transaction; refuses a ledger from a newer gpunb.
core::Status migrate(const Database& db);

// Read without a transaction, so that a newer ledger is refused before anything touches it.
core::Status check_not_newer(const Database& db);

}  // namespace gpunb::ledger
