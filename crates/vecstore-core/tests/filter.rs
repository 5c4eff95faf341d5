//! Filter parser, printer and matcher, tested from the outside: every
//! operator and type rule, exact error positions for malformed input,
//! limits, and property tests for round trips and panic freedom.

use proptest::prelude::*;
use vecstore_core::validate::{MAX_FILTER_DEPTH, MAX_FILTER_NODES};
use vecstore_core::{CmpOp, Error, Filter, Metadata, Value};

fn parse(s: &str) -> Filter {
    Filter::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn doc() -> Metadata {
    let mut m = Metadata::new();
    m.insert("category", "tech");
    m.insert("score", 0.75);
    m.insert("year", 2024);
    m.insert("archived", false);
    m.insert("lang", "en");
    m.insert("tags", vec!["rust", "db"]);
    m.insert("nums", vec![Value::Int(1), Value::Float(2.5)]);
    m.insert("nothing", Value::Null);
    m.insert("title", "Vector search in Rust");
    m
}

#[test]
fn issue_example_parses_to_the_builder_tree() {
    let text = "category = 'tech' AND (score > 0.5 OR NOT archived) AND lang IN ('en', 'de')";
    let built = Filter::eq("category", "tech")
        .and(Filter::gt("score", 0.5).or(Filter::eq("archived", true).not()))
        .and(Filter::in_("lang", ["en", "de"]));
    assert_eq!(parse(text), built);
    assert!(built.matches(&doc()));
    assert_eq!(
        built.to_string(),
        "category = 'tech' AND (score > 0.5 OR NOT archived = TRUE) AND lang IN ('en', 'de')"
    );
}

#[test]
fn syntax_forms() {
    let cases: Vec<(&str, Filter)> = vec![
        ("archived", Filter::eq("archived", true)),
        ("NOT archived", !Filter::eq("archived", true)),
        (
            "a and b Or c",
            Filter::eq("a", true)
                .and(Filter::eq("b", true))
                .or(Filter::eq("c", true)),
        ),
        (
            "a OR b AND c",
            Filter::eq("a", true).or(Filter::eq("b", true).and(Filter::eq("c", true))),
        ),
        (
            "NOT a AND b",
            (!Filter::eq("a", true)).and(Filter::eq("b", true)),
        ),
        (
            "NOT (a AND b)",
            !Filter::eq("a", true).and(Filter::eq("b", true)),
        ),
        (
            "a AND (b AND c)",
            Filter::And(vec![
                Filter::eq("a", true),
                Filter::And(vec![Filter::eq("b", true), Filter::eq("c", true)]),
            ]),
        ),
        ("((a = 1))", Filter::eq("a", 1)),
        ("x.y_2 >= -3", Filter::ge("x.y_2", -3)),
        ("x <= 1.5e3", Filter::le("x", 1500.0)),
        ("x < 2E-1", Filter::lt("x", 0.2)),
        ("x != 'it''s'", Filter::ne("x", "it's")),
        ("x = \"say \"\"hi\"\"\"", Filter::eq("x", "say \"hi\"")),
        ("x = 'a\nb é 日本'", Filter::eq("x", "a\nb é 日本")),
        ("x = null", Filter::eq("x", Value::Null)),
        ("x = False", Filter::eq("x", false)),
        ("x IS NULL", Filter::eq("x", Value::Null)),
        ("x is not null", Filter::ne("x", Value::Null)),
        (
            "x in (1, 'a', TRUE, NULL, 2.0)",
            Filter::in_(
                "x",
                [
                    Value::Int(1),
                    Value::from("a"),
                    Value::Bool(true),
                    Value::Null,
                    Value::Float(2.0),
                ],
            ),
        ),
        ("x NOT IN ()", Filter::not_in("x", Vec::<Value>::new())),
        ("tags CONTAINS 'rust'", Filter::contains("tags", "rust")),
        ("tags not contains 1", !Filter::contains("tags", 1)),
        (
            "x = [1, [2, 'a'], []]",
            Filter::eq(
                "x",
                Value::List(vec![
                    Value::Int(1),
                    Value::List(vec![Value::Int(2), Value::from("a")]),
                    Value::List(vec![]),
                ]),
            ),
        ),
        ("t STARTS WITH 'Vec'", Filter::starts_with("t", "Vec")),
        ("t NOT STARTS WITH 'Vec'", !Filter::starts_with("t", "Vec")),
        ("x EXISTS", Filter::exists("x")),
        ("x NOT EXISTS", Filter::not_exists("x")),
        ("`my field` = 1", Filter::eq("my field", 1)),
        ("`in` = 1", Filter::eq("in", 1)),
        ("`a``b` EXISTS", Filter::exists("a`b")),
        ("TRUE", Filter::And(vec![])),
        ("false OR a", Filter::Or(vec![]).or(Filter::eq("a", true))),
        ("a=1 AND b!=2", Filter::eq("a", 1).and(Filter::ne("b", 2))),
        ("\t a\n=\r\n1 ", Filter::eq("a", 1)),
        ("x = -9223372036854775808", Filter::eq("x", i64::MIN)),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text), want, "{text}");
    }
}

#[test]
fn comparisons_follow_the_type_rules() {
    let d = doc();
    let yes = [
        "category = 'tech'",
        "category != 'news'",
        "score > 0.5",
        "score >= 0.75",
        "score < 1",
        "year = 2024.0",
        "year > 2023.5",
        "year <= 2024",
        "score != 'x'",
        "archived = FALSE",
        "archived != TRUE",
        "nothing = NULL",
        "nothing != 1",
        "category > 'science'",
        "category < 'zoo'",
        "lang >= 'en'",
        "year != '2024'",
        "tags = ['rust', 'db']",
        "nums = [1.0, 2.5]",
        "tags != ['db', 'rust']",
    ];
    let no = [
        "category = 'Tech'",
        "score > 0.75",
        "year = '2024'",
        "year < 2024",
        "archived < TRUE",
        "archived > FALSE",
        "nothing > 1",
        "nothing != NULL",
        "category > 1",
        "tags > 'a'",
        "tags = 'rust'",
        "missing = 1",
        "missing != 1",
        "missing < 5",
        "missing = NULL",
        "score = 0.7500001",
    ];
    for text in yes {
        assert!(parse(text).matches(&d), "{text} should match");
    }
    for text in no {
        assert!(!parse(text).matches(&d), "{text} should not match");
    }
}

#[test]
fn set_string_and_presence_operators() {
    let d = doc();
    let yes = [
        "lang IN ('de', 'en')",
        "year IN (1, 2024.0)",
        "lang NOT IN ('de')",
        "lang NOT IN ()",
        "nothing IN (NULL)",
        "tags CONTAINS 'db'",
        "nums CONTAINS 2.5",
        "nums CONTAINS 1.0",
        "title CONTAINS 'search'",
        "title CONTAINS ''",
        "title STARTS WITH 'Vector'",
        "title STARTS WITH ''",
        "nothing EXISTS",
        "missing NOT EXISTS",
        "NOT missing = 1",
        "NOT missing IN (1)",
        "tags NOT CONTAINS 'go'",
        "missing NOT CONTAINS 'go'",
    ];
    let no = [
        "lang IN ()",
        "lang IN ('de')",
        "lang NOT IN ('en', 'de')",
        "missing IN (1)",
        "missing NOT IN (1)",
        "tags CONTAINS 'rus'",
        "title CONTAINS 'Search'",
        "year CONTAINS 2",
        "tags CONTAINS ['rust']",
        "title STARTS WITH 'vector'",
        "tags STARTS WITH 'rust'",
        "year STARTS WITH '20'",
        "missing EXISTS",
        "nothing NOT EXISTS",
        "missing CONTAINS 'x'",
    ];
    for text in yes {
        assert!(parse(text).matches(&d), "{text} should match");
    }
    for text in no {
        assert!(!parse(text).matches(&d), "{text} should not match");
    }
}

#[test]
fn boolean_structure() {
    let d = doc();
    assert!(Filter::And(vec![]).matches(&d));
    assert!(!Filter::Or(vec![]).matches(&d));
    assert!(parse("lang = 'de' OR year = 2024").matches(&d));
    assert!(!parse("lang = 'de' AND year = 2024").matches(&d));
    assert!(parse("NOT (lang = 'de' AND year = 2024)").matches(&d));
    assert!(parse("NOT NOT year = 2024").matches(&d));
    assert!(!parse("NOT archived = FALSE").matches(&d));
    assert!(parse("NOT archived").matches(&d));
    assert!(!parse("archived").matches(&d));
}

/// (input, byte position, expected, found) for inputs that must not parse.
const MALFORMED: &[(&str, usize, &str, &str)] = &[
    ("", 0, "a field name, NOT or '('", "end of input"),
    ("   ", 3, "a field name, NOT or '('", "end of input"),
    ("category =", 10, "a value", "end of input"),
    ("category = ", 11, "a value", "end of input"),
    ("= 'tech'", 0, "a field name, NOT or '('", "'='"),
    (
        "category = 'tech",
        11,
        "a closing ' for the literal starting here",
        "end of input",
    ),
    ("category == 'tech'", 10, "a value", "'='"),
    ("a = 1 AND", 9, "a field name, NOT or '('", "end of input"),
    (
        "a = 1 AND AND b = 2",
        10,
        "a field name, NOT or '('",
        "'AND'",
    ),
    ("a = 1 OR", 8, "a field name, NOT or '('", "end of input"),
    ("(a = 1", 6, "AND, OR or ')'", "end of input"),
    ("a = 1)", 5, "AND, OR or end of input", "')'"),
    ("()", 1, "a field name, NOT or '('", "')'"),
    ("a IN ('x', )", 11, "a value", "')'"),
    ("a IN 'x'", 5, "'('", "'x'"),
    ("a IN ('x' 'y')", 10, "',' or ')'", "'y'"),
    ("a IN ('x'", 9, "',' or ')'", "end of input"),
    ("a NOT 5", 6, "IN, CONTAINS, STARTS WITH or EXISTS", "'5'"),
    ("a STARTS 'x'", 9, "WITH", "'x'"),
    ("a STARTS WITH 5", 14, "a string", "'5'"),
    ("a > 1.5.2", 4, "a number", "'1.5.2'"),
    ("a > 1.", 6, "a digit after '.'", "'1.'"),
    ("a > 1e", 6, "a digit in the exponent", "'1e'"),
    ("a > 1e+x", 7, "a digit in the exponent", "'1e+x'"),
    (
        "a > 99999999999999999999",
        4,
        "an integer in the i64 range",
        "'99999999999999999999'",
    ),
    ("a > 1e999", 4, "a finite number", "'1e999'"),
    ("a > - 1", 4, "a value", "'-'"),
    ("a @ 1", 2, "an operator", "'@'"),
    ("a = 'x' b = 1", 8, "AND, OR or end of input", "'b'"),
    ("a IS 5", 5, "NULL or NOT NULL", "'5'"),
    ("a IS NOT 5", 9, "NULL", "'5'"),
    ("NOT", 3, "a field name, NOT or '('", "end of input"),
    ("a = [1, 2", 9, "',' or ']'", "end of input"),
    ("a = [1,]", 7, "a value", "']'"),
    (
        "`abc = 1",
        0,
        "a closing ` for the literal starting here",
        "end of input",
    ),
    (
        "a = \"x",
        4,
        "a closing \" for the literal starting here",
        "end of input",
    ),
    ("é = 1", 0, "a field name, NOT or '('", "'é'"),
    ("a = 1 AND é", 10, "a field name, NOT or '('", "'é'"),
    ("a = 'é' AND b =", 16, "a value", "end of input"),
    ("a CONTAINS", 10, "a value", "end of input"),
    ("a EXISTS EXISTS", 9, "AND, OR or end of input", "'EXISTS'"),
    ("TRUE = 1", 5, "AND, OR or end of input", "'='"),
    ("a = NULL NULL", 9, "AND, OR or end of input", "'NULL'"),
    ("a ! = 1", 2, "an operator", "'!'"),
    ("a = 5abc", 4, "a number", "'5abc'"),
    ("OR a = 1", 0, "a field name, NOT or '('", "'OR'"),
    ("(a = 1))", 7, "AND, OR or end of input", "')'"),
    (
        "a = 1 AND (b = 2 OR (c = 3)",
        27,
        "AND, OR or ')'",
        "end of input",
    ),
    ("a = IN", 4, "a value", "'IN'"),
    ("a <> 1", 3, "a value", "'>'"),
    ("in = 1", 0, "a field name, NOT or '('", "'in'"),
    ("a = 'x' AND b IN", 16, "'('", "end of input"),
    ("a = NaN", 4, "a value", "'NaN'"),
    ("a = -inf", 4, "a value", "'-'"),
];

#[test]
fn malformed_filters_name_the_position() {
    assert!(MALFORMED.len() >= 30);
    for &(text, position, expected, found) in MALFORMED {
        match Filter::parse(text) {
            Err(Error::FilterParse {
                position: p,
                expected: e,
                found: f,
            }) => assert_eq!(
                (p, e.as_str(), f.as_str()),
                (position, expected, found),
                "{text:?}"
            ),
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[test]
fn long_found_text_is_shortened() {
    let long = format!("a = 1 {}", "x".repeat(100));
    match Filter::parse(&long) {
        Err(Error::FilterParse {
            position: 6, found, ..
        }) => {
            assert_eq!(found, format!("'{}...'", "x".repeat(40)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nesting_is_bounded_before_recursing() {
    let ok_parens = format!(
        "{}a = 1{}",
        "(".repeat(MAX_FILTER_DEPTH),
        ")".repeat(MAX_FILTER_DEPTH)
    );
    assert_eq!(parse(&ok_parens), Filter::eq("a", 1));
    let too_deep = |text: &str| {
        matches!(
            Filter::parse(text),
            Err(Error::FilterTooComplex { what, got: 33, limit: 32 }) if what.contains("depth")
        )
    };
    let n = MAX_FILTER_DEPTH + 1;
    assert!(too_deep(&format!("{}a{}", "(".repeat(n), ")".repeat(n))));
    assert!(too_deep(&format!("{}a", "NOT ".repeat(n))));
    assert!(too_deep(&format!("{}a", "(NOT ".repeat(n))));
    assert!(too_deep(&"(".repeat(100_000)));
    assert!(too_deep(&"NOT ".repeat(100_000)));
    assert!(too_deep(&format!("a = {}", "[".repeat(100_000))));
    assert!(too_deep(&format!("a IN ({}", "[".repeat(100_000))));

    // A NOT chain as deep as allowed prints and reads back.
    let deepest = (1..MAX_FILTER_DEPTH).fold(Filter::exists("x"), |f, _| !f);
    assert_eq!(deepest.depth(), MAX_FILTER_DEPTH);
    assert_eq!(parse(&deepest.to_string()), deepest);
}

#[test]
fn node_count_is_limited() {
    let clause = |n: usize| vec!["a = 1"; n].join(" AND ");
    assert_eq!(
        parse(&clause(MAX_FILTER_NODES - 1)).node_count(),
        MAX_FILTER_NODES
    );
    assert!(matches!(
        Filter::parse(&clause(MAX_FILTER_NODES)),
        Err(Error::FilterTooComplex {
            what: "node count",
            got: 1025,
            limit: 1024
        })
    ));
}

#[test]
fn helpers_for_the_planner() {
    let f = parse("b = 1 AND (a IN (1) OR NOT b EXISTS OR c.d STARTS WITH 'x')");
    assert_eq!(f.fields(), ["b", "a", "c.d"]);
    assert_eq!(f.depth(), 4);
    assert_eq!(f.node_count(), 7);
    assert_eq!(f.children().len(), 2);
    assert_eq!(f.children()[0].field(), Some("b"));
    assert!(CmpOp::Le.test(&Value::Int(3), &Value::Float(3.0)));
    assert_eq!(CmpOp::Ge.to_string(), ">=");
}

// ---------------------------------------------------------------- properties

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_.]{0,6}",
        1 => prop::sample::select(vec!["in", "AND", "Not", "null", "with", "is", "true"])
            .prop_map(String::from),
        1 => "[ `'\"a.(]{0,4}",
        1 => "\\PC{0,5}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z'\" `]{0,6}", "\\PC{0,6}", ".{0,4}"]
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
        Just(-0.0),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        finite_f64().prop_map(Value::Float),
        text().prop_map(Value::String),
    ];
    scalar.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(Value::List)
    })
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ])
}

fn predicate() -> impl Strategy<Value = Filter> {
    prop_oneof![
        3 => (field_name(), op(), value())
            .prop_map(|(field, op, value)| Filter::Compare { field, op, value }),
        1 => (field_name(), prop::collection::vec(value(), 0..4), any::<bool>())
            .prop_map(|(field, values, negated)| Filter::In { field, values, negated }),
        1 => (field_name(), value()).prop_map(|(f, v)| Filter::contains(f, v)),
        1 => (field_name(), text()).prop_map(|(f, p)| Filter::starts_with(f, p)),
        1 => field_name().prop_map(Filter::exists),
        1 => prop::sample::select(vec![Filter::And(vec![]), Filter::Or(vec![])]),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    predicate().prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::Or),
            inner.prop_map(|f| !f),
        ]
    })
}

const TOKENS: &[&str] = &[
    "a",
    "b.c",
    "`x y`",
    "`",
    "'s'",
    "'",
    "\"",
    "\"q\"",
    "''",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "!=",
    "!",
    "<",
    "<=",
    ">",
    ">=",
    "AND",
    "or",
    "NOT",
    "IN",
    "CONTAINS",
    "STARTS",
    "WITH",
    "EXISTS",
    "IS",
    "NULL",
    "TRUE",
    "false",
    "1",
    "-2",
    "3.5",
    "1e",
    "1e5",
    "-",
    ".",
    "é",
    "@",
    "\n",
    "9999999999999999999999",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(vec!["", " ", "  "]),
        ),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().flat_map(|(t, s)| [t, s]).collect())
}

/// Printed filters with one edit: near-valid text that reaches every error
/// path deep inside the grammar, and sometimes still parses.
fn mutated_filter() -> impl Strategy<Value = String> {
    (
        filter(),
        any::<prop::sample::Index>(),
        0..4usize,
        prop::sample::select(TOKENS),
        0..4usize,
    )
        .prop_map(|(f, at, kind, token, len)| {
            let text = f.to_string();
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut end = (cut + len).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            match kind {
                0 => text[..cut].to_string(),
                1 => format!("{}{}", &text[..cut], &text[end..]),
                2 => format!("{}{token}{}", &text[..cut], &text[cut..]),
                _ => format!("{}{token}{}", &text[..cut], &text[end..]),
            }
        })
}

/// Parsing never panics; errors point inside the input at a char boundary,
/// and whatever parses prints back to text that parses to the same tree.
fn check_any_input(s: &str) -> Result<(), TestCaseError> {
    match Filter::parse(s) {
        Ok(f) => {
            prop_assert!(f.validate().is_ok());
            let printed = f.to_string();
            let again = Filter::parse(&printed);
            prop_assert_eq!(
                again.as_ref().ok(),
                Some(&f),
                "{:?} printed as {:?}",
                s,
                printed
            );
        }
        Err(Error::FilterParse { position, .. }) => {
            prop_assert!(
                position <= s.len() && s.is_char_boundary(position),
                "{}",
                position
            );
        }
        Err(Error::FilterTooComplex { .. }) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_then_parse_gives_the_same_tree(f in filter()) {
        let printed = f.to_string();
        let parsed = Filter::parse(&printed);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&f), "printed as {:?}: {:?}", printed, parsed);
        prop_assert_eq!(parsed.map(|p| p.to_string()).ok(), Some(printed));
    }

    #[test]
    fn builder_combinations_round_trip(a in filter(), b in filter(), c in filter()) {
        let built = [
            a.clone().and(b.clone()).and(c.clone()),
            a.clone().or(b.clone()).or(c.clone()),
            a.clone().and(b.clone().or(c.clone())).not(),
            !a.clone().or(b.clone()).and(c.clone()),
        ];
        for f in built {
            prop_assert_eq!(Filter::parse(&f.to_string()).ok(), Some(f));
        }
    }

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,40}") {
        check_any_input(&s)?;
    }

    #[test]
    fn random_bytes_as_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        check_any_input(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_token_sequences_never_panic(s in token_soup()) {
        check_any_input(&s)?;
    }

    #[test]
    fn edited_filters_never_panic(s in mutated_filter()) {
        check_any_input(&s)?;
    }

    #[test]
    fn redundant_parentheses_and_spacing_keep_the_tree(f in filter(), n in 1..4usize) {
        let text = format!("{} \t{}\n{} ", "(".repeat(n), f, ")".repeat(n));
        prop_assert_eq!(Filter::parse(&text).ok(), Some(f));
    }

    #[test]
    fn negations_agree_with_the_table(
        field in prop::sample::select(vec!["a", "b"]),
        v in value(),
        stored in prop::option::of(value()),
    ) {
        let mut meta = Metadata::new();
        if let Some(s) = stored.clone() {
            meta.insert(field, s);
        }
        let present = stored.is_some();
        let eq = Filter::eq(field, v.clone()).matches(&meta);
        prop_assert_eq!(Filter::ne(field, v.clone()).matches(&meta), present && !eq);
        prop_assert_eq!(Filter::not(Filter::eq(field, v.clone())).matches(&meta), !eq);
        prop_assert_eq!(Filter::in_(field, [v.clone()]).matches(&meta), eq);
        prop_assert_eq!(Filter::not_in(field, [v.clone()]).matches(&meta), present && !eq);
        prop_assert_eq!(Filter::exists(field).matches(&meta), present);
        prop_assert_eq!(Filter::not_exists(field).matches(&meta), !present);
        let (lt, ge) = (Filter::lt(field, v.clone()).matches(&meta), Filter::ge(field, v.clone()).matches(&meta));
        prop_assert!(!(lt && ge));
    }
}
