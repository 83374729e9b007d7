//! The sandbox's words: the ErrorCodes it answers with their Russian messages, as T-Bank's list
//! of codes has them, and the Russian texts of its pages.
//!
//! The codes and texts are NOT VERIFIED against T-Bank's official list: they follow a
//! third-party transcription of it and SDK tests (204 and its message appear in several).

/// An acquirer's refusal: the `ErrorCode`, the `Message` and, where useful, the `Details`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
    pub details: Option<&'static str>,
}

const fn refusal(code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        code,
        message,
        details: None,
    }
}

pub(crate) const BAD_REQUEST: Refusal = refusal("1", "Параметры не сопоставлены");
pub(crate) const MISSING: Refusal = refusal("2", "Отсутствуют обязательные параметры");
pub(crate) const WRONG_STATUS: Refusal = refusal("8", "Неверный статус транзакции");
pub(crate) const ORDER_REPEATED: Refusal = Refusal {
    code: "20",
    message: "Ошибка повторного идентификатора заказа",
    details: Some("Платёж с этим OrderId уже есть: с другой суммой или уже не в статусе NEW"),
};
pub(crate) const BAD_TOKEN: Refusal = Refusal {
    code: "204",
    message: "Неверные параметры.",
    details: Some("Неверный токен. Проверьте пару TerminalKey/SecretKey."),
};
pub(crate) const NO_TERMINAL: Refusal = Refusal {
    code: "205",
    message: "Неверный токен. Проверьте пару TerminalKey/SecretKey",
    details: Some("Указанный терминал не найден"),
};
pub(crate) const BAD_AMOUNT: Refusal = refusal("251", "Неверная сумма");
pub(crate) const NOT_FOUND: Refusal = refusal("255", "Платёж не найден");
pub(crate) const TOO_MUCH: Refusal = refusal("330", "Сумма превышает оставшуюся сумму платежа");
pub(crate) const THREE_DS_FAILED: Refusal = Refusal {
    code: "101",
    message: "Не пройдена идентификация 3DS",
    details: Some("Ошибка прохождения 3-D Secure"),
};
pub(crate) const DECLINED: Refusal = refusal("1005", "Операция отклонена банком-эмитентом");
pub(crate) const NO_FUNDS: Refusal = refusal("1051", "Недостаточно средств на карте");
pub(crate) const UNKNOWN_METHOD: Refusal =
    refusal("9999", "Метод не поддерживается тестовым банком");

// Pages.
pub(crate) const BANK_TITLE: &str = "Тестовый банк — оплата картой";
pub(crate) const TEST_NOTE: &str =
    "Это тестовый банк: деньги не списываются. Вводите только тестовые карты, никогда — настоящие.";
pub(crate) const AMOUNT: &str = "Сумма";
pub(crate) const PURPOSE: &str = "Назначение";
pub(crate) const CARD_NUMBER: &str = "Номер карты";
pub(crate) const EXPIRY: &str = "Срок действия (ММ/ГГ)";
pub(crate) const CVC: &str = "CVC";
pub(crate) const PAY: &str = "Оплатить";
pub(crate) const TEST_CARDS_TITLE: &str = "Тестовые карты";
pub(crate) const BAD_NUMBER: &str = "Проверьте номер карты: в нём ошибка.";
pub(crate) const NOT_A_TEST_CARD: &str =
    "Тестовый банк принимает только тестовые карты из списка ниже.";
pub(crate) const BAD_EXPIRY: &str = "Срок действия — месяц и год в виде ММ/ГГ, например 12/30.";
pub(crate) const EXPIRED: &str = "Срок действия карты истёк.";
pub(crate) const BAD_CVC: &str = "CVC — три цифры с обратной стороны карты.";
pub(crate) const NOT_FOUND_PAGE: &str = "Платёж не найден.";
pub(crate) const PROCESSING: &str = "Банк обрабатывает платёж. Страница обновится сама.";
pub(crate) const PAID: &str = "Оплата прошла успешно.";
pub(crate) const HELD: &str = "Деньги заблокированы на карте до подтверждения магазином.";
pub(crate) const FAILED: &str = "Оплата не прошла";
pub(crate) const CANCELLED: &str = "Платёж отменён.";
pub(crate) const THREE_DS_TITLE: &str = "Подтверждение платежа (3-D Secure)";
pub(crate) const THREE_DS_PROMPT: &str =
    "Введите одноразовый код из СМС. В тестовом банке это код 1234.";
pub(crate) const THREE_DS_CODE_LABEL: &str = "Код";
pub(crate) const CONFIRM: &str = "Подтвердить";
pub(crate) const BAD_DATE: &str = "Укажите дату в виде ГГГГ-ММ-ДД";
pub(crate) const BAD_FAULT: &str = "Неверное описание сбоя";
