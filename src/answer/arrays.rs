//! On PostgreSQL a batch's rows travel as arrays, in statements of one fixed shape.
//!
//! A multi-row `VALUES` list is a new statement text for every row count: under load the
//! writer's connection prepared, and PostgreSQL parsed and planned, a statement for nearly every
//! batch (94 shapes of the answers' insert and 263 of the claim in one benchmark, the claim's
//! planning alone longer than its execution), and the statement cache of 100 per connection
//! kept evicting them. `UNNEST($1::text[], …)` has one text whatever the batch size: prepared
//! once per connection, planned once, its parameters a few arrays in binary. SQLite keeps its
//! `VALUES` lists: it prepares a statement in microseconds and has no arrays.
//!
//! sea-query binds an array as `Vec<T>` without null elements, so a nullable column travels as
//! its values and a flag per row saying whether there is one.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::form::AnswerValue;
use super::statement::{PG_STATEMENT_BYTES, runs};

/// Responses with their answers, in one statement: the responses in a data-modifying `WITH`,
/// the answers naming their response by its place in the responses' array. The foreign keys of
/// the answers are checked at the end of the statement, when both inserts are done.
const INSERT_RESPONSES: &str = "\
WITH stored AS (
    INSERT INTO responses (id, round_id, department_id, pending)
    SELECT r.id, r.round_id, r.department_id, $4::bool
    FROM UNNEST($1::text[], $2::int4[], $3::int4[]) AS r(id, round_id, department_id)
)
INSERT INTO answers (response_id, question_id, value, text)
SELECT ($1::text[])[a.response], a.question,
       CASE WHEN a.has_value THEN a.value END,
       CASE WHEN a.has_text THEN a.text END
FROM UNNEST($5::int4[], $6::int4[], $7::int4[], $8::bool[], $9::text[], $10::bool[])
    AS a(response, question, value, has_value, text, has_text)";

/// Encoded sizes in the statement's parameters: a response's id, round and department; an
/// answer's five fixed-size fields and its text's length word (the text itself is added).
const RESPONSE_BYTES: usize = 4 + 36 + 2 * 8;
const ANSWER_BYTES: usize = 3 * 8 + 2 * 5 + 4;

/// One response to insert: its new id, round, department and answers.
pub struct Row<'a> {
    pub id: &'a str,
    pub round_id: i32,
    pub department_id: i32,
    pub answers: &'a [AnswerValue],
}

impl Row<'_> {
    fn bytes(&self) -> usize {
        RESPONSE_BYTES
            + self
                .answers
                .iter()
                .map(|a| ANSWER_BYTES + a.text.as_ref().map_or(0, String::len))
                .sum::<usize>()
    }
}

/// Inserts `rows` (responses and their answers, in this order) on PostgreSQL, in as few
/// statements as keep each below [`PG_STATEMENT_BYTES`].
pub async fn insert_responses(
    txn: &impl ConnectionTrait,
    rows: Vec<Row<'_>>,
    pending: bool,
) -> Result<(), DbErr> {
    for chunk in runs(rows, Row::bytes, PG_STATEMENT_BYTES) {
        txn.execute_raw(responses_statement(&chunk, pending))
            .await?;
    }
    Ok(())
}

fn responses_statement(rows: &[Row<'_>], pending: bool) -> Statement {
    let answers = rows.iter().map(|row| row.answers.len()).sum();
    let mut ids = Vec::with_capacity(rows.len());
    let mut rounds = Vec::with_capacity(rows.len());
    let mut departments = Vec::with_capacity(rows.len());
    let mut places = Vec::with_capacity(answers);
    let mut questions = Vec::with_capacity(answers);
    let mut values = Vec::with_capacity(answers);
    let mut has_value = Vec::with_capacity(answers);
    let mut texts = Vec::with_capacity(answers);
    let mut has_text = Vec::with_capacity(answers);
    for (place, row) in (1_i32..).zip(rows) {
        ids.push(row.id.to_owned());
        rounds.push(row.round_id);
        departments.push(row.department_id);
        for answer in row.answers {
            places.push(place);
            questions.push(answer.question_id);
            values.push(answer.value.unwrap_or_default());
            has_value.push(answer.value.is_some());
            texts.push(answer.text.clone().unwrap_or_default());
            has_text.push(answer.text.is_some());
        }
    }
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        INSERT_RESPONSES,
        [
            Value::from(ids),
            Value::from(rounds),
            Value::from(departments),
            Value::from(pending),
            Value::from(places),
            Value::from(questions),
            Value::from(values),
            Value::from(has_value),
            Value::from(texts),
            Value::from(has_text),
        ],
    )
}

/// A list of strings as one array parameter (`= ANY($1)`), for statements that would otherwise
/// list them one parameter each.
pub fn strings(items: Vec<&str>) -> Value {
    Value::from(items.into_iter().map(str::to_owned).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(question_id: i32, value: Option<i32>, text: Option<&str>) -> AnswerValue {
        AnswerValue {
            question_id,
            value,
            text: text.map(str::to_owned),
        }
    }

    #[test]
    fn one_statement_text_for_every_batch_and_answers_name_their_response_by_place() {
        let first = [answer(1, Some(4), None), answer(2, None, None)];
        let second = [answer(3, None, Some("Mehr Zeit"))];
        let rows = vec![
            Row {
                id: "g0-a",
                round_id: 7,
                department_id: 3,
                answers: &first,
            },
            Row {
                id: "g0-b",
                round_id: 7,
                department_id: 5,
                answers: &second,
            },
        ];
        let statement = responses_statement(&rows, true);
        assert_eq!(statement.sql, INSERT_RESPONSES);
        let values = statement.values.expect("bound values").0;
        assert_eq!(
            values[0],
            Value::from(vec!["g0-a".to_owned(), "g0-b".to_owned()])
        );
        assert_eq!(values[2], Value::from(vec![3, 5]));
        assert_eq!(values[3], Value::from(true));
        assert_eq!(values[4], Value::from(vec![1, 1, 2]));
        assert_eq!(values[6], Value::from(vec![4, 0, 0]));
        assert_eq!(values[7], Value::from(vec![true, false, false]));
        assert_eq!(
            values[8],
            Value::from(vec![String::new(), String::new(), "Mehr Zeit".to_owned()])
        );
        assert_eq!(values[9], Value::from(vec![false, false, true]));

        let single = responses_statement(&rows[..1], false);
        assert_eq!(single.sql, statement.sql);
    }

    #[test]
    fn statements_stay_below_the_size_that_leaves_in_one_write() {
        let answers: Vec<AnswerValue> = (0..9).map(|q| answer(q, Some(3), None)).collect();
        let ids: Vec<String> = (0..256).map(|n| format!("g{n:035}")).collect();
        let rows: Vec<Row<'_>> = ids
            .iter()
            .map(|id| Row {
                id,
                round_id: 1,
                department_id: 1,
                answers: &answers,
            })
            .collect();
        let per_row = rows[0].bytes();
        let chunks = runs(rows, Row::bytes, PG_STATEMENT_BYTES);
        assert!(chunks.len() > 1);
        assert!(
            chunks
                .iter()
                .all(|c| c.len() * per_row <= PG_STATEMENT_BYTES)
        );
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 256);
    }
}
