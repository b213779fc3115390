//! diesel table definitions, written by hand to match `migrations/` (both dialects).

diesel::table! {
    resource_version (seq) {
        seq -> BigInt,
        tenant -> Text,
        resource_type -> Text,
        resource_id -> Text,
        version -> BigInt,
        last_updated -> BigInt,
        method -> Text,
        deleted -> Bool,
        body -> Nullable<Text>,
    }
}

diesel::table! {
    resource_current (tenant, resource_type, resource_id) {
        tenant -> Text,
        resource_type -> Text,
        resource_id -> Text,
        version -> BigInt,
        last_updated -> BigInt,
        method -> Text,
        deleted -> Bool,
        body -> Nullable<Text>,
    }
}
