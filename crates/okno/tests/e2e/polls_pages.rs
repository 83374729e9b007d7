//! End-to-end tests of the poll pages over HTTP on both engines, without JavaScript: an
//! administrator creates a poll with the form at `/admin/polls/new`; people vote with the form on
//! `/polls/{id}` (the page's CSRF token, a 303 back with a success message); every refusal — a
//! lower account level, a second vote, answers that do not fit, another region, a poll not yet
//! started — is a Russian message on the page with the use case's status; the results (the SVG
//! chart and the counts) appear on the page once visible.
//!
//! People are put into the database directly with a live session (as in the appeals tests); the
//! administrator is the demo's API token. All share one client, whose cookie store keeps the
//! CSRF cookie that goes with the tokens the pages carry.

use okno_testkit::{engines, tamper, Engine, TestApp};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_okno");

async fn start(engine: Engine) -> TestApp {
    TestApp::demo(BIN, engine, &[]).await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A `datetime-local` value `hours` from now, on Moscow's wall clock (UTC+3 all year).
fn moscow(hours: i64) -> String {
    let t = jiff::Timestamp::now()
        .in_tz("Europe/Moscow")
        .unwrap()
        .checked_add(jiff::ToSpan::hours(hours))
        .unwrap();
    t.strftime("%Y-%m-%dT%H:%M").to_string()
}

/// What a page answered: its status, its `Location` (for a redirect) and its text.
struct Page {
    status: u16,
    location: String,
    html: String,
}

impl Page {
    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        okno_testkit::csrf_token(&self.html)
    }

    fn has(&self, text: &str) -> bool {
        self.html.contains(text)
    }
}

async fn answer(r: reqwest::RequestBuilder) -> Page {
    let r = r.send().await.unwrap();
    Page {
        status: r.status().as_u16(),
        location: r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default(),
        html: r.text().await.unwrap(),
    }
}

/// Opens a page, as `who` (a bearer secret) or nobody.
async fn open(app: &TestApp, path: &str, who: Option<&str>) -> Page {
    let mut r = app.client.get(app.url(path));
    if let Some(w) = who {
        r = r.bearer_auth(w);
    }
    answer(r).await
}

/// Opens the page at `path` and sends its form with `fields` and the page's token.
async fn submit(app: &TestApp, path: &str, who: Option<&str>, fields: &[(&str, &str)]) -> Page {
    let token = open(app, path, who).await.csrf();
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), token)];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut r = app.client.post(app.url(path)).form(&form);
    if let Some(w) = who {
        r = r.bearer_auth(w);
    }
    answer(r).await
}

/// A refusal shown as a page: this status, this Russian message, never problem+json.
fn refused(p: &Page, status: u16, message: &str) {
    assert_eq!(p.status, status, "{}", p.html);
    assert!(p.html.starts_with("<!doctype html>"), "{}", p.html);
    assert!(p.has(message), "no «{message}» in {}", p.html);
}

/// The id of the poll a creation redirected to.
fn created(p: &Page) -> String {
    assert_eq!(p.status, 303, "{}", p.html);
    let id = p
        .location
        .strip_prefix("/polls/")
        .and_then(|l| l.strip_suffix("?created=1"))
        .unwrap_or_else(|| panic!("{}", p.location));
    id.to_string()
}

/// The questions' ids, in order, from the JSON API.
async fn question_ids(app: &TestApp, poll: &str) -> Vec<String> {
    let v: Value = app
        .get(&format!("/api/v1/polls/{poll}"))
        .await
        .json()
        .await
        .unwrap();
    v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_poll_created_on_the_page_takes_one_vote_per_confirmed_person_and_shows_results_when_closed(
) {
    for engine in engines("poll pages").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let new = "/admin/polls/new";

        // The form is for administrators only.
        let std = app.person("std", "Стандартный", "standard").await;
        assert_eq!(open(&app, new, Some(&std)).await.status, 403);
        let p = open(&app, new, None).await;
        assert_eq!((p.status, p.location.as_str()), (303, "/admin/login"));
        let form = open(&app, new, Some(&admin)).await;
        assert_eq!(form.status, 200, "{}", form.html);
        assert!(
            form.has("type=\"datetime-local\"") && form.has("name=\"options_4\""),
            "{}",
            form.html
        );
        assert!(form.has("Тульская область"), "regions to choose from");

        let (start, end) = (moscow(-1), moscow(24 * 7));
        let fields = vec![
            ("title", "Благоустройство парка"),
            ("region", ""),
            ("starts_at", start.as_str()),
            ("ends_at", end.as_str()),
            ("kind_0", "single"),
            ("title_0", "Что сделать первым?"),
            ("options_0", "Освещение\r\nДорожки\r\n\r\nСкамейки"),
            ("kind_1", "multiple"),
            ("title_1", "Чего не хватает?"),
            ("options_1", "Туалетов\nУрн\nПлощадки"),
            ("kind_2", "scale"),
            ("title_2", "Оцените парк"),
            ("options_2", "1\n10"),
            ("kind_3", "text"),
            ("title_3", "Ваше предложение"),
            ("kind_4", "single"),
            ("title_4", ""),
            ("options_4", ""),
        ];

        // Refusals are shown on the form, with what was typed kept.
        let mut backwards = fields.clone();
        backwards[3] = ("ends_at", start.as_str());
        backwards[2] = ("starts_at", end.as_str());
        let p = submit(&app, new, Some(&admin), &backwards).await;
        refused(&p, 400, "Конец опроса должен быть позже начала.");
        assert!(p.has("value=\"Благоустройство парка\""), "{}", p.html);
        let mut one_option = fields.clone();
        one_option[6] = ("options_0", "Освещение");
        let p = submit(&app, new, Some(&admin), &one_option).await;
        refused(&p, 400, "Вопрос 1: У вопроса с выбором 2–30 вариантов");
        let mut no_date = fields.clone();
        no_date[2] = ("starts_at", "");
        let p = submit(&app, new, Some(&admin), &no_date).await;
        refused(&p, 400, "Укажите дату и время начала.");

        let id = created(&submit(&app, new, Some(&admin), &fields).await);
        let q = question_ids(&app, &id).await;
        assert_eq!(q.len(), 4, "the empty slot is ignored");
        let path = format!("/polls/{id}");

        // Listed as running, for everyone.
        let list = open(&app, "/polls", None).await;
        assert_eq!(list.status, 200);
        assert!(
            list.has(&format!("href=\"{path}\"")) && list.has("Благоустройство парка"),
            "{}",
            list.html
        );
        assert!(list.has(">идёт<") && list.has("для всех"), "{}", list.html);

        // The ballot is a plain form: radio buttons, checkboxes, a scale, a text box.
        let page = open(&app, &path, None).await;
        assert!(page.has("Опрос проводится"), "{}", page.html);
        for want in [
            format!("type=\"radio\" name=\"q.{}\" value=\"1\"", q[0]),
            format!("type=\"checkbox\" name=\"q.{}\" value=\"2\"", q[1]),
            format!("type=\"radio\" name=\"q.{}\" value=\"10\"", q[2]),
            format!("<textarea id=\"q-{}-text\" name=\"q.{}\"", q[3], q[3]),
        ] {
            assert!(page.has(&want), "no {want} in {}", page.html);
        }
        assert!(page.has("Результаты появятся после окончания опроса."));
        let (a, b, c, d) = (
            format!("q.{}", q[0]),
            format!("q.{}", q[1]),
            format!("q.{}", q[2]),
            format!("q.{}", q[3]),
        );
        let ballot = vec![
            (a.as_str(), "1"),
            (b.as_str(), "0"),
            (b.as_str(), "2"),
            (c.as_str(), "8"),
            (d.as_str(), "Фонтан"),
        ];

        // Nobody signed in is sent to sign in.
        let p = submit(&app, &path, None, &ballot).await;
        assert_eq!((p.status, p.location.as_str()), (303, "/login"));

        // A standard account is refused with the reason.
        let p = submit(&app, &path, Some(&std), &ballot).await;
        refused(&p, 403, "подтверждённой учётной записи");

        // A confirmed account votes; answers that do not fit are marked first.
        let voter = app.person("voter", "Избиратель", "confirmed").await;
        let mut bad = ballot.clone();
        bad[3] = (c.as_str(), "11");
        let p = submit(&app, &path, Some(&voter), &bad).await;
        refused(&p, 400, "Ответ на вопрос не подходит к его виду.");
        assert!(
            p.has(&format!("type=\"radio\" name=\"{a}\" value=\"1\" checked")),
            "the answers given are kept: {}",
            p.html
        );
        let p = submit(&app, &path, Some(&voter), &[]).await;
        refused(&p, 400, "Ответьте хотя бы на один вопрос.");
        let p = submit(&app, &path, Some(&voter), &ballot).await;
        assert_eq!(
            (p.status, p.location.clone()),
            (303, format!("{path}?voted=1")),
            "{}",
            p.html
        );
        let p = open(&app, &p.location, Some(&voter)).await;
        assert!(p.has("Ваш голос учтён"), "{}", p.html);
        assert!(
            p.has("Вы уже проголосовали") && !p.has("id=\"poll-form\""),
            "{}",
            p.html
        );

        // A second vote is refused on the page.
        let p = submit(&app, &path, Some(&voter), &ballot).await;
        refused(&p, 409, "Вы уже проголосовали в этом опросе.");
        assert!(
            p.has("id=\"poll-error\"><p>Вы уже проголосовали"),
            "{}",
            p.html
        );

        // Once the poll has ended the chart and the counts are on the page.
        tamper(
            &app,
            &format!(
                "UPDATE polls SET ends_at = {} WHERE id = '{id}'",
                now_ms() - 1000
            ),
        )
        .await
        .unwrap();
        let p = open(&app, &path, None).await;
        assert_eq!(p.status, 200);
        assert!(
            p.has(">завершён<") && !p.has("id=\"poll-form\""),
            "{}",
            p.html
        );
        assert!(
            p.has("<svg") && p.has("Результаты опроса: голосов 1"),
            "{}",
            p.html
        );
        assert!(p.has("id=\"poll-votes\">1<"), "{}", p.html);
        assert!(
            p.has("<td>Дорожки</td><td>1</td>") && p.has("<td>Урн</td><td>0</td>"),
            "{}",
            p.html
        );
        assert!(p.has("Средняя оценка: 8,0."), "{}", p.html);
        assert!(!p.has("Фонтан"), "free texts are not published");
        let p = submit(&app, &path, Some(&voter), &ballot).await;
        refused(&p, 409, "Опрос сейчас не проводится.");
        assert!(open(&app, "/polls", None).await.has(">завершён<"));
    }
}

#[tokio::test]
async fn a_regional_poll_asks_for_a_municipality_and_shows_live_results_while_it_runs() {
    for engine in engines("poll pages regional").await {
        let app = start(engine).await;
        let admin = app.admin_token.clone().unwrap();
        let new = "/admin/polls/new";
        let (start, end, later) = (moscow(-1), moscow(48), moscow(72));
        let id = created(
            &submit(
                &app,
                new,
                Some(&admin),
                &[
                    ("title", "Остановки в Туле"),
                    ("region", "71"),
                    ("starts_at", start.as_str()),
                    ("ends_at", end.as_str()),
                    ("live_results", "1"),
                    ("kind_0", "single"),
                    ("title_0", "Нужен ли навес?"),
                    ("options_0", "Да\nНет"),
                ],
            )
            .await,
        );
        let upcoming = created(
            &submit(
                &app,
                new,
                Some(&admin),
                &[
                    ("title", "Будущий опрос"),
                    ("starts_at", end.as_str()),
                    ("ends_at", later.as_str()),
                    ("kind_0", "text"),
                    ("title_0", "Что улучшить?"),
                ],
            )
            .await,
        );

        // The list: the running poll above the one yet to start, with the region's name.
        let list = open(&app, "/polls", None).await;
        let (a, b) = (
            list.html.find("Остановки в Туле").unwrap(),
            list.html.find("Будущий опрос").unwrap(),
        );
        assert!(a < b, "{}", list.html);
        assert!(
            list.has("Тульская область") && list.has("ещё не начался"),
            "{}",
            list.html
        );

        // The voter names a municipality of the region.
        let path = format!("/polls/{id}");
        let q = format!("q.{}", question_ids(&app, &id).await[0]);
        let voter = app.person("voter", "Избиратель", "confirmed").await;
        let page = open(&app, &path, Some(&voter)).await;
        assert!(
            page.has("name=\"municipality\"") && page.has("город Тула"),
            "{}",
            page.html
        );
        assert!(
            page.has("id=\"poll-votes\">0<"),
            "live results from the start"
        );
        let p = submit(&app, &path, Some(&voter), &[(q.as_str(), "0")]).await;
        refused(&p, 403, "проводится среди жителей региона");
        let p = submit(
            &app,
            &path,
            Some(&voter),
            &[(q.as_str(), "0"), ("municipality", "tula")],
        )
        .await;
        assert_eq!(p.status, 303, "{}", p.html);
        let p = open(&app, &p.location, Some(&voter)).await;
        assert!(p.has("Ваш голос учтён"), "{}", p.html);
        assert!(
            p.has("<svg") && p.has("id=\"poll-votes\">1<") && p.has("Результаты предварительные"),
            "{}",
            p.html
        );

        // A poll not yet started has no form and takes no votes.
        let path = format!("/polls/{upcoming}");
        let p = open(&app, &path, Some(&voter)).await;
        assert!(
            p.has("ещё не начался") && !p.has("id=\"poll-form\""),
            "{}",
            p.html
        );
        let t = question_ids(&app, &upcoming).await;
        let field = format!("q.{}", t[0]);
        let p = submit(&app, &path, Some(&voter), &[(field.as_str(), "Скамейки")]).await;
        refused(&p, 409, "Опрос сейчас не проводится.");
    }
}
