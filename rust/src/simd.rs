//! Kernel paths chosen at run time from CPU features (portable builds: no `target-cpu=native`).
//!
//! One level selects both the popcount kernel and the encoder's compare kernel:
//!
//! * `Avx512`: AVX-512 F + BW + VPOPCNTDQ (`vpopcntq`; `vpcmpuw` into a mask register);
//! * `Avx2`: AVX2 (nibble look-up popcount with `vpshufb` + `vpsadbw`; `vpminuw` compare);
//! * `Scalar`: `u64::count_ones` (the `popcnt` instruction when the CPU has it) and a per-word
//!   compare loop.

use std::fmt;
use std::str::FromStr;

/// Environment variable that forces a path (`scalar`, `avx2` or `avx512`) when the caller does
/// not name one.
pub const ENV_VAR: &str = "SCTB_RUST_POPCOUNT";

/// A kernel path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Plain Rust, any x86-64 (or other) CPU.
    Scalar,
    /// AVX2.
    Avx2,
    /// AVX-512 F, BW and VPOPCNTDQ.
    Avx512,
}

/// Every level, slowest first.
pub const ALL_LEVELS: [Level; 3] = [Level::Scalar, Level::Avx2, Level::Avx512];

impl Level {
    /// The level's name: `scalar`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The CPU features the level needs.
    pub fn features(self) -> &'static str {
        match self {
            Level::Scalar => "none",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512f, avx512bw, avx512vpopcntdq",
        }
    }

    /// Whether this CPU can run the level.
    pub fn is_supported(self) -> bool {
        match self {
            Level::Scalar => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Level::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Level::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vpopcntdq")
            }
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            _ => false,
        }
    }

    /// The fastest level this CPU supports.
    pub fn detect() -> Level {
        *ALL_LEVELS
            .iter()
            .rev()
            .find(|l| l.is_supported())
            .unwrap_or(&Level::Scalar)
    }

    /// The levels this CPU supports, slowest first.
    pub fn supported() -> Vec<Level> {
        ALL_LEVELS
            .iter()
            .copied()
            .filter(|l| l.is_supported())
            .collect()
    }

    /// Resolve a requested path: an explicit name, else `$SCTB_RUST_POPCOUNT`, else the
    /// fastest supported level. `"auto"` (or an empty string) means the fastest.
    ///
    /// Errors name the bad value: an unknown name, or a level the CPU cannot run.
    pub fn resolve(requested: Option<&str>) -> Result<Level, String> {
        let (text, origin) = match requested {
            Some(t) => (t.to_string(), "popcount"),
            None => match std::env::var(ENV_VAR) {
                Ok(t) => (t, ENV_VAR),
                Err(_) => return Ok(Level::detect()),
            },
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("auto") {
            return Ok(Level::detect());
        }
        let level: Level = trimmed.parse().map_err(|e| format!("{origin}: {e}"))?;
        if !level.is_supported() {
            return Err(format!(
                "{origin}='{}': this CPU lacks the path's features ({}); supported: {}",
                trimmed,
                level.features(),
                Level::supported()
                    .iter()
                    .map(|l| l.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(level)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(Level::Scalar),
            "avx2" => Ok(Level::Avx2),
            "avx512" => Ok(Level::Avx512),
            _ => Err(format!(
                "unknown kernel path '{}'; valid: auto, scalar, avx2, avx512",
                s
            )),
        }
    }
}

/// Does this CPU have the `popcnt` instruction (used by the scalar path when present)?
#[inline]
pub fn has_popcnt() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_tested_and_skipped_paths() {
        use std::io::Write;
        let names = |want: bool| -> Vec<String> {
            ALL_LEVELS
                .iter()
                .filter(|l| l.is_supported() == want)
                .map(|l| format!("{l} ({})", l.features()))
                .collect()
        };
        let skipped = names(false);
        // written to the real stderr so that it shows without --nocapture
        let _ = writeln!(
            std::io::stderr(),
            "note: kernel paths tested on this CPU: {}; skipped: {}",
            names(true).join(", "),
            if skipped.is_empty() {
                "none".to_string()
            } else {
                skipped.join(", ")
            }
        );
        assert!(Level::Scalar.is_supported());
    }

    #[test]
    fn parse_and_resolve() {
        assert_eq!("AVX2".parse::<Level>(), Ok(Level::Avx2));
        assert!("sse".parse::<Level>().is_err());
        assert_eq!(Level::resolve(Some("scalar")), Ok(Level::Scalar));
        assert_eq!(Level::resolve(Some("auto")), Ok(Level::detect()));
        let err = Level::resolve(Some("neon")).unwrap_err();
        assert!(err.contains("neon"), "{err}");
        for l in ALL_LEVELS {
            assert_eq!(Level::resolve(Some(l.name())).is_ok(), l.is_supported());
        }
        assert!(Level::detect().is_supported());
    }
}
