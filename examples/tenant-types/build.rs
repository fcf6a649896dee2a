//! Generates `$OUT_DIR/tenant.rs` from the tenant schemas in `schemas/` (written by
//! `crm fxiaoke schema pull AccountObj object_visit__c=Visit --out schemas`), again whenever they
//! change.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    crm_codegen::Generator::tenant(crm_codegen::Vendor::Fxiaoke, "schemas")
        .build_script("tenant.rs")?;
    Ok(())
}
