//! Polls: single choice, multiple choice, scale and free-text questions, an audience (everyone or
//! a region), a period; one vote per account of the level «подтверждённая», exactly once under
//! concurrent submissions (the primary key of `poll_votes`); results once the poll closes, or as
//! it runs when so configured. `model` holds the types, `store` all the SQL of polls, one file
//! each use case (`create`, `vote`, `results`, `read`), `api` the JSON API and `pages` the pages.

mod api;
mod create;
mod model;
pub mod pages;
mod read;
mod results;
mod store;
mod vote;

pub use self::api::{routes, PollsApi};
pub use self::create::create;
pub use self::model::{
    Ballot, NewPoll, NewQuestion, PollListed, PollState, PollView, QuestionKind, QuestionResult,
    QuestionView, Results,
};
pub use self::read::{has_voted, list, poll};
pub use self::results::{chart, results};
pub use self::vote::vote;
