//! `credentialflow_metrics` and `credentialflow_metrics_label`.

use credentialflow_core::metrics::{is_valid_label, MAX_LABEL_LEN};
use ngx::http::HttpModuleMainConf;

use crate::conf::args::{Directive, DirectiveError};
use crate::conf::LocConf;
use crate::Module;

/// `credentialflow_metrics;`: this location answers the Prometheus scrape; the zone (and its
/// metrics table) is then created even where no location checks tokens.
pub fn metrics(d: &Directive<'_>, _conf: &mut LocConf) -> Result<(), DirectiveError> {
    d.claim_content_handler(Some(super::endpoint::handler))?;
    // SAFETY: cf is the configuration being read.
    let cf = unsafe { &*d.cf };
    let main = Module::main_conf_mut(cf)
        .ok_or_else(|| format!("\"{}\" directive outside http", d.name))?;
    main.metrics.enable();
    main.protects_somewhere = true;
    Ok(())
}

/// `credentialflow_metrics_label name;`: the label a location's decisions are counted under.
pub fn metrics_label(d: &Directive<'_>, conf: &mut LocConf) -> Result<(), DirectiveError> {
    let label = d.arg(0)?;
    if conf.metrics_label.is_some() {
        return Err(DirectiveError::Duplicate);
    }
    if !is_valid_label(label) {
        let why = format!(
            "a label is 1 to {MAX_LABEL_LEN} letters, digits, \"_\", \"-\", \".\", \":\" or \"/\""
        );
        return Err(d.invalid(label, &why));
    }
    // SAFETY: cf is the configuration being read.
    let main = unsafe { Module::main_conf_mut(&*d.cf) }
        .ok_or_else(|| format!("\"{}\" directive outside http", d.name))?;
    main.metrics.add_label(label).map_err(|why| format!("{} \"{label}\": {why}", d.name))?;
    conf.metrics_label = Some(label.into());
    Ok(())
}
