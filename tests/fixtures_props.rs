//! Property tests: normalization, diffing and redaction never panic on arbitrary input, and
//! their answers are consistent.

use hvremote::transport::normalize::{first_difference, normalize};
use hvremote::transport::record::Redaction;
use proptest::prelude::*;

proptest! {
    #[test]
    fn first_difference_is_none_exactly_when_lines_are_equal(a in "(?s).{0,200}", b in "(?s).{0,200}") {
        let same = a.lines().eq(b.lines());
        prop_assert_eq!(first_difference(&a, &b).is_none(), same);
        prop_assert!(first_difference(&a, &a).is_none());
    }

    #[test]
    fn normalize_never_panics(s in "(?s).{0,300}") {
        let _ = normalize(&s);
    }

    #[test]
    fn redaction_never_panics_and_removes_whole_names(
        host in "[a-zA-Z][a-zA-Z0-9]{2,10}",
        user in "[a-zA-Z]{3,10}",
        noise in "(?s).{0,100}",
    ) {
        let r = Redaction { host: Some(host.clone()), user: Some(user.clone()) };
        let _ = r.apply(&noise);
        let out = r.apply(&format!("<x>{}</x> \\\\{}\\root", host.to_uppercase(), host));
        prop_assert!(!out.to_lowercase().contains(&format!(">{}<", host.to_lowercase())), "{}", out);
        prop_assert!(out.contains("\\\\HOSTNAME\\root") || out.contains("USER"), "{}", out);
    }
}
