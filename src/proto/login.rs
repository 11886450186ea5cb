//! The order-update login message (docs/protocol.md §6.1), both ways.

use super::json::{Scalar, TapeParser, object_entries, push_str, scalar};
use crate::secret::Secret;

/// The documented login message code.
pub const LOGIN_MSG_CODE: i64 = 42;

/// Who logs in on the order-update socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UserType {
    /// `SELF`: an individual account (client id + access token).
    #[default]
    SelfUser,
    /// `PARTNER`: a partner platform (partner id + partner secret).
    Partner,
}

impl UserType {
    /// The wire form: `"SELF"` or `"PARTNER"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SelfUser => "SELF",
            Self::Partner => "PARTNER",
        }
    }

    /// Parses `SELF` / `PARTNER`, any case (as `DHAN_WS_USER_TYPE` is read).
    pub fn parse(s: &str) -> Option<Self> {
        if s.trim().eq_ignore_ascii_case("SELF") {
            Some(Self::SelfUser)
        } else if s.trim().eq_ignore_ascii_case("PARTNER") {
            Some(Self::Partner)
        } else {
            None
        }
    }
}

/// Credentials for the login message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// `{"LoginReq":{"MsgCode":42,"ClientId":…,"Token":…},"UserType":"SELF"}`
    SelfUser {
        /// Dhan client id.
        client_id: Secret,
        /// Access token.
        token: Secret,
    },
    /// `{"LoginReq":{"MsgCode":42,"ClientId":…},"UserType":"PARTNER","Secret":…}`
    Partner {
        /// Partner id.
        partner_id: Secret,
        /// Partner secret.
        secret: Secret,
    },
}

impl Login {
    /// The user type of these credentials.
    pub fn user_type(&self) -> UserType {
        match self {
            Self::SelfUser { .. } => UserType::SelfUser,
            Self::Partner { .. } => UserType::Partner,
        }
    }
}

/// Writes the login message, replacing the contents of `out`.
pub fn encode_login(login: &Login, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"{\"LoginReq\":{\"MsgCode\":42,\"ClientId\":");
    match login {
        Login::SelfUser { client_id, token } => {
            push_str(out, client_id.expose());
            out.extend_from_slice(b",\"Token\":");
            push_str(out, token.expose());
            out.extend_from_slice(b"},\"UserType\":\"SELF\"}");
        }
        Login::Partner { partner_id, secret } => {
            push_str(out, partner_id.expose());
            out.extend_from_slice(b"},\"UserType\":\"PARTNER\",\"Secret\":");
            push_str(out, secret.expose());
            out.push(b'}');
        }
    }
}

/// Why a login message was refused (server side). Never contains a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginParseError {
    /// Not valid JSON.
    #[error("login message is not valid JSON")]
    Json,
    /// No `LoginReq` object.
    #[error("login message has no LoginReq object")]
    MissingLoginReq,
    /// `MsgCode` missing or not 42.
    #[error("login message has no MsgCode 42")]
    BadMsgCode,
    /// `UserType` missing or not SELF/PARTNER.
    #[error("login message has no UserType SELF or PARTNER")]
    BadUserType,
    /// A required credential is missing.
    #[error("login message lacks {0}")]
    Missing(&'static str),
}

/// Parses a login message (the simulator's side). `MsgCode` may be the number 42 or
/// the string `"42"`; keys match case-insensitively.
pub fn parse_login(parser: &mut TapeParser, json: &[u8]) -> Result<Login, LoginParseError> {
    parser
        .parse(json, |nodes| {
            let mut user_type = None;
            let mut secret = None;
            let mut msg_code = None;
            let mut client_id = None;
            let mut token = None;
            let mut saw_req = false;
            for (k, v) in object_entries(nodes) {
                let text = match scalar(v) {
                    Scalar::Str(s) => Some(s),
                    _ => None,
                };
                if k.eq_ignore_ascii_case("UserType") {
                    user_type = text.and_then(UserType::parse);
                } else if k.eq_ignore_ascii_case("Secret") {
                    secret = text.map(Secret::new);
                } else if k.eq_ignore_ascii_case("LoginReq") {
                    saw_req = matches!(v.first(), Some(simd_json::Node::Object { .. }));
                    for (ik, iv) in object_entries(v) {
                        let text = match scalar(iv) {
                            Scalar::Str(s) => Some(Secret::new(s)),
                            _ => None,
                        };
                        if ik.eq_ignore_ascii_case("MsgCode") {
                            msg_code = scalar(iv).as_i64();
                        } else if ik.eq_ignore_ascii_case("ClientId") {
                            client_id = text;
                        } else if ik.eq_ignore_ascii_case("Token") {
                            token = text;
                        }
                    }
                }
            }
            if !saw_req {
                return Err(LoginParseError::MissingLoginReq);
            }
            if msg_code != Some(LOGIN_MSG_CODE) {
                return Err(LoginParseError::BadMsgCode);
            }
            let client_id = client_id.ok_or(LoginParseError::Missing("ClientId"))?;
            match user_type.ok_or(LoginParseError::BadUserType)? {
                UserType::SelfUser => Ok(Login::SelfUser {
                    client_id,
                    token: token.ok_or(LoginParseError::Missing("Token"))?,
                }),
                UserType::Partner => Ok(Login::Partner {
                    partner_id: client_id,
                    secret: secret.ok_or(LoginParseError::Missing("Secret"))?,
                }),
            }
        })
        .map_err(|_| LoginParseError::Json)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_login_is_the_documented_message() {
        let mut out = Vec::new();
        let login = Login::SelfUser {
            client_id: "1000000001".into(),
            token: "JWT".into(),
        };
        encode_login(&login, &mut out);
        assert_eq!(
            out,
            br#"{"LoginReq":{"MsgCode":42,"ClientId":"1000000001","Token":"JWT"},"UserType":"SELF"}"#
        );
        assert_eq!(parse_login(&mut TapeParser::new(), &out).unwrap(), login);
    }

    #[test]
    fn partner_login_is_the_documented_message() {
        let mut out = Vec::new();
        let login = Login::Partner {
            partner_id: "partner".into(),
            secret: "s3cr\"et".into(),
        };
        encode_login(&login, &mut out);
        assert_eq!(
            out,
            br#"{"LoginReq":{"MsgCode":42,"ClientId":"partner"},"UserType":"PARTNER","Secret":"s3cr\"et"}"#
        );
        assert_eq!(parse_login(&mut TapeParser::new(), &out).unwrap(), login);
        assert!(!format!("{login:?}").contains("s3cr"));
    }

    #[test]
    fn string_msg_code_accepted_and_bad_logins_refused() {
        let mut p = TapeParser::new();
        assert!(
            parse_login(
                &mut p,
                br#"{"LoginReq":{"MsgCode":"42","ClientId":"1","Token":"t"},"UserType":"SELF"}"#
            )
            .is_ok()
        );
        assert_eq!(
            parse_login(
                &mut p,
                br#"{"LoginReq":{"MsgCode":41,"ClientId":"1","Token":"t"},"UserType":"SELF"}"#
            ),
            Err(LoginParseError::BadMsgCode)
        );
        assert_eq!(
            parse_login(
                &mut p,
                br#"{"LoginReq":{"MsgCode":42,"ClientId":"1"},"UserType":"SELF"}"#
            ),
            Err(LoginParseError::Missing("Token"))
        );
        assert_eq!(
            parse_login(&mut p, b"{\"UserType\":\"SELF\"}"),
            Err(LoginParseError::MissingLoginReq)
        );
        assert_eq!(parse_login(&mut p, b"nope"), Err(LoginParseError::Json));
    }
}
