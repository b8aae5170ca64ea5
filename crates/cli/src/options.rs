//! The `--name value` / `--name=value` options of the `client` and `apikey` commands: one walk
//! over the words, each option's value taken on demand.

use crate::error::CliError;

/// Calls `each(name, value)` for every option in `args`, in order; `value()` takes the
/// option's value (after `=`, else the next word) and fails with a usage error when there is
/// none. `each` decides what a name means, and refuses an unknown one.
pub fn each_option(
    args: &[String],
    mut each: impl FnMut(&str, &mut dyn FnMut() -> Result<String, CliError>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (word.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next().cloned())
                .ok_or_else(|| CliError::usage(format!("{name} needs a value")))
        };
        each(name, &mut value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn values_inline_or_next_and_missing() {
        let mut seen = Vec::new();
        each_option(&words("--a 1 --b=2 --c=x=y"), |name, value| {
            seen.push((name.to_owned(), value()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [("--a".into(), "1".into()), ("--b".into(), "2".into()), ("--c".into(), "x=y".into())]
        );
        let missing = each_option(&words("--a"), |_, value| value().map(drop));
        assert!(missing.is_err());
    }
}
