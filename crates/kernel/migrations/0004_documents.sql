-- Documents the platform issues and signs (result documents of applications, later answers and
-- receipts): the public page /verify/{id} reads this register to say whether a file is genuine.
CREATE TABLE issued_documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    title TEXT NOT NULL,
    number TEXT NOT NULL,
    issuer TEXT NOT NULL,
    recipient TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    signature TEXT NOT NULL,
    public_key TEXT NOT NULL
);
CREATE INDEX issued_documents_subject ON issued_documents (subject_type, subject_id);
