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

/// The results as an SVG bar chart per question (no scripts, no external resources).
pub fn chart(r: &Results) -> String {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    let rows: usize = r.questions.iter().map(|q| q.counts.len() + 2).sum();
    let h = 20 + rows * 22;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 {h}\" width=\"640\" height=\"{h}\" role=\"img\" font-family=\"sans-serif\" font-size=\"13\"><title>Результаты опроса: голосов {}</title>",
        r.votes
    );
    let mut y = 20;
    for q in &r.questions {
        s.push_str(&format!(
            "<text x=\"0\" y=\"{y}\" font-weight=\"bold\">{}</text>",
            esc(&q.title)
        ));
        y += 22;
        let max = q.counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
        for (label, n) in &q.counts {
            let w = 300 * n / max;
            s.push_str(&format!(
                "<text x=\"0\" y=\"{}\">{}</text><rect x=\"220\" y=\"{}\" width=\"{w}\" height=\"14\" fill=\"#1565c0\"/><text x=\"{}\" y=\"{}\">{n}</text>",
                y,
                esc(label),
                y - 12,
                226 + w,
                y
            ));
            y += 22;
        }
        y += 22;
    }
    s.push_str("</svg>");
    s
}
