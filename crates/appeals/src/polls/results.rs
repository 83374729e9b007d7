//! The results of a poll: counts per option, a scale's distribution and mean, and the chart.

use okno_kernel::clock::now_ms;
use okno_kernel::error::{Problem, Result};
use okno_kernel::Platform;

use super::model::{scale_bounds, QuestionKind, QuestionResult, Results};
use super::read::load;
use super::store::{self, AnswerRow, QuestionRow};

/// The results, once the poll has closed — or while it runs, when it shows live results.
pub async fn results(p: &Platform, id: &str) -> Result<Results> {
    let mut c = p.db.read().await?;
    let (poll, qs) = load(&mut c, id).await?;
    if poll.live_results == 0 && now_ms() < poll.ends_at {
        return Err(Problem::conflict(
            "poll.results_hidden",
            "Результаты появятся после окончания опроса.",
        )
        .into());
    }
    let votes = store::votes(&mut c, id).await?;
    let answers = store::answers(&mut c, id).await?;
    Ok(Results {
        poll_id: id.into(),
        votes,
        questions: qs.into_iter().map(|q| question(q, &answers)).collect(),
    })
}

/// One question's results from all the poll's answers.
fn question(q: QuestionRow, answers: &[AnswerRow]) -> QuestionResult {
    let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text);
    let options: Vec<String> = serde_json::from_str(&q.options).unwrap_or_default();
    let mine: Vec<&str> = answers
        .iter()
        .filter(|a| a.question_id == q.id)
        .map(|a| a.value.as_str())
        .collect();
    let (counts, mean) = match kind {
        QuestionKind::Single | QuestionKind::Multiple => (choice_counts(&options, &mine), None),
        QuestionKind::Scale => scale_counts(&options, &mine),
        QuestionKind::Text => (Vec::new(), None),
    };
    QuestionResult {
        answers: mine.len() as i64,
        id: q.id,
        title: q.title,
        kind,
        counts,
        mean,
    }
}

/// (option, how many chose it) in the options' order.
fn choice_counts(options: &[String], values: &[&str]) -> Vec<(String, i64)> {
    options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                o.clone(),
                values.iter().filter(|v| **v == i.to_string()).count() as i64,
            )
        })
        .collect()
}

/// (value, how many gave it) for each value of the scale, and the mean to two decimals.
fn scale_counts(options: &[String], values: &[&str]) -> (Vec<(String, i64)>, Option<f64>) {
    let (lo, hi) = scale_bounds(options);
    let nums: Vec<i64> = values.iter().filter_map(|v| v.parse().ok()).collect();
    (
        (lo..=hi)
            .map(|n| {
                (
                    n.to_string(),
                    nums.iter().filter(|x| **x == n).count() as i64,
                )
            })
            .collect(),
        (!nums.is_empty())
            .then(|| (nums.iter().sum::<i64>() as f64 / nums.len() as f64 * 100.0).round() / 100.0),
    )
}

/// One line of the chart: a question's title, or an answer's bar with its count.
enum ChartLine<'a> {
    Title {
        y: usize,
        text: &'a str,
    },
    Bar {
        y: usize,
        label: &'a str,
        width: i64,
        count: i64,
    },
}

#[derive(askama::Template)]
#[template(path = "polls_chart.svg", escape = "html")]
struct Chart<'a> {
    height: usize,
    votes: i64,
    lines: Vec<ChartLine<'a>>,
}

/// The results as an SVG bar chart per question (no scripts, no external resources): a title
/// line per question, then a bar per answer scaled to the question's largest count.
pub fn chart(r: &Results) -> String {
    use askama::Template;
    let mut lines = Vec::new();
    let mut y = 20;
    for q in &r.questions {
        lines.push(ChartLine::Title { y, text: &q.title });
        y += 22;
        let max = q.counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
        for (label, n) in &q.counts {
            lines.push(ChartLine::Bar {
                y,
                label,
                width: 300 * n / max,
                count: *n,
            });
            y += 22;
        }
        y += 22;
    }
    let rows: usize = r.questions.iter().map(|q| q.counts.len() + 2).sum();
    Chart {
        height: 20 + rows * 22,
        votes: r.votes,
        lines,
    }
    .render()
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_a_bar_per_answer_scaled_to_the_largest_and_escapes_text() {
        let r = Results {
            poll_id: "p".into(),
            votes: 3,
            questions: vec![QuestionResult {
                id: "q".into(),
                title: "Где <ремонт>?".into(),
                kind: QuestionKind::Single,
                counts: vec![("Двор".into(), 2), ("Дорога".into(), 1)],
                answers: 3,
                mean: None,
            }],
        };
        assert_eq!(
            chart(&r),
            concat!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 108\" width=\"640\" height=\"108\" role=\"img\" font-family=\"sans-serif\" font-size=\"13\"><title>Результаты опроса: голосов 3</title>",
                "<text x=\"0\" y=\"20\" font-weight=\"bold\">Где &#60;ремонт&#62;?</text>",
                "<text x=\"0\" y=\"42\">Двор</text><rect x=\"220\" y=\"30\" width=\"300\" height=\"14\" fill=\"#1565c0\"/><text x=\"526\" y=\"42\">2</text>",
                "<text x=\"0\" y=\"64\">Дорога</text><rect x=\"220\" y=\"52\" width=\"150\" height=\"14\" fill=\"#1565c0\"/><text x=\"376\" y=\"64\">1</text>",
                "</svg>"
            )
        );
    }
}
