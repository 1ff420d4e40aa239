//! Whole numbers as JSON writes them: `5` and `5.0` are the same number to JSON Schema (and to
//! JavaScript, whose clients send the latter), so the API's inputs take both; `5.5` or a number
//! beyond the field's type is refused like any other wrong value.
//!
//! A leaf module: input types of any layer use it with `#[serde(deserialize_with = …)]`.

use serde::de::{self, Deserializer, Visitor};

/// A whole number of type `T`, given as an integer or as a number without a fraction.
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    deserializer.deserialize_any(Whole(std::marker::PhantomData))
}

/// [`whole`] for an optional field (`null` or absent is `None`).
pub fn optional_whole<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    struct Optional<T>(std::marker::PhantomData<T>);
    impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for Optional<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            whole(d).map(Some)
        }
    }
    deserializer.deserialize_option(Optional(std::marker::PhantomData))
}

struct Whole<T>(std::marker::PhantomData<T>);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // Beyond 2^53 a float no longer says which whole number it is.
        if v.fract() != 0.0 || v.abs() > 9_007_199_254_740_992.0 {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        self.visit_i64(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Input {
        #[serde(deserialize_with = "super::whole")]
        id: i32,
        #[serde(default, deserialize_with = "super::optional_whole")]
        size: Option<usize>,
    }

    fn read(json: &str) -> Result<Input, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integers_and_integral_numbers_are_read_alike() {
        let five = Input {
            id: 5,
            size: Some(8),
        };
        assert_eq!(read(r#"{"id": 5, "size": 8}"#), Ok(five));
        let same = Input {
            id: 5,
            size: Some(8),
        };
        assert_eq!(read(r#"{"id": 5.0, "size": 8.0}"#), Ok(same));
        assert_eq!(
            read(r#"{"id": -279.0}"#),
            Ok(Input {
                id: -279,
                size: None
            })
        );
        assert_eq!(
            read(r#"{"id": 1, "size": null}"#),
            Ok(Input { id: 1, size: None })
        );
    }

    #[test]
    fn fractions_and_numbers_beyond_the_type_are_refused() {
        assert!(read(r#"{"id": 5.5}"#).is_err());
        assert!(read(r#"{"id": 2147483648}"#).is_err());
        assert!(read(r#"{"id": 1, "size": -1}"#).is_err());
        assert!(read(r#"{"id": "5"}"#).is_err());
    }
}
