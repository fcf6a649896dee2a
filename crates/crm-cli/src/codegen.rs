//! `crm codegen --vendor fxiaoke|useasy --schemas <DIR> --out <FILE.rs> [--check]`: one Rust
//! module of a tenant's typed objects from the schemas `crm … pull` wrote, with the
//! `crm-codegen` library (the same generator as `cargo xtask codegen` and build scripts).

use crm_codegen::{Generator, Settings, Vendor};

use crate::cli::{CodegenArgs, CodegenVendor};
use crate::error::{CliError, CliResult, Exit};

/// Runs `crm codegen`.
pub fn run(args: &CodegenArgs) -> CliResult {
    let vendor = match args.vendor {
        CodegenVendor::Fxiaoke => Vendor::Fxiaoke,
        CodegenVendor::Useasy => Vendor::Useasy,
    };
    let module = Generator::new(Settings::tenant(vendor).generated_by("crm codegen"))
        .schemas(&args.schemas)
        .module()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let out = &args.out;
    if args.check {
        if module.is_current(out) {
            eprintln!("{} is up to date", out.display());
            return Ok(());
        }
        return Err(CliError {
            exit: Exit::Internal,
            message: format!(
                "{} is stale: regenerate it with `crm codegen --vendor {} --schemas {} --out {}`",
                out.display(),
                vendor.name(),
                args.schemas.display(),
                out.display()
            ),
        });
    }
    let wrote = module
        .write_if_changed(out)
        .map_err(|e| CliError::internal(e.to_string()))?;
    eprintln!(
        "{} {}",
        if wrote { "wrote" } else { "up to date:" },
        out.display()
    );
    Ok(())
}
