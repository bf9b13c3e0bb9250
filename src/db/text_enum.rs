//! States kept as text in the database (each column has a CHECK constraint listing the same
//! values) and as Rust enums everywhere else: serde and the OpenAPI document list the values,
//! diesel reads and writes them, and a misspelt state does not compile.

/// Declares such an enum: `text_enum! { pub enum NoteStatus { None = "none", Draft = "draft" } }`
/// gives `Serialize`/`Deserialize` (so a query parameter deserialises straight into it),
/// `ToSchema`, diesel `ToSql`/`FromSql` for `Text`, `as_str`, `parse`, `ALL` and `Display`.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $text)] #[schema(rename = $text)] $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                Self::parse(&text).ok_or_else(|| {
                    format!("{text:?} is not a {}", stringify!($name)).into()
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A state for the test.
        pub enum Light {
            Red = "red",
            AmberBlinking = "amber_blinking",
        }
    }

    #[test]
    fn text_serde_and_schema_agree() {
        assert_eq!(Light::AmberBlinking.as_str(), "amber_blinking");
        assert_eq!(Light::parse("red"), Some(Light::Red));
        assert_eq!(Light::parse("Red"), None);
        assert_eq!(
            serde_json::to_string(&Light::AmberBlinking).unwrap(),
            "\"amber_blinking\""
        );
        assert!(serde_json::from_str::<Light>("\"green\"").is_err());
        let schema = serde_json::to_value(<Light as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["red", "amber_blinking"]),
            "{schema}"
        );
        assert_eq!(Light::ALL.len(), 2);
    }
}
