//! Who may do what. The protocol layer authenticates a request and names
//! the access an operation needs; the decision is made here.

use crate::arn;
use crate::chime::ChimeError;
use crate::error::{ConnectError, ConnectResult};

/// What a key is allowed to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Every operation within its account.
    Admin,
    /// Only the per-user Connect operations, for this one user.
    ConnectUser { user_arn: String },
    /// Only Chime SDK Messaging calls made as this bearer.
    ChimeUser { bearer_arn: String },
}

/// Who is calling. Every resource belongs to the caller's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account_id: String,
    pub role: Role,
}

/// The access a Connect operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectAccess<'a> {
    /// Directory, notifications, search, tags: administrators only.
    Administer,
    /// Reading or updating one user's own notifications.
    ActAsUser {
        instance_id: &'a str,
        user_id: &'a str,
    },
}

/// The access a Chime operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChimeAccess<'a> {
    /// Managing app instances, users and admins: administrators only.
    Administer,
    /// A Messaging call made as the `x-amz-chime-bearer` user.
    AsBearer { bearer: Option<&'a str> },
    /// Reading one user, or managing that user's endpoints.
    OwnUser { user_arn: &'a str },
}

impl Caller {
    pub fn authorize_chime(&self, access: ChimeAccess<'_>) -> Result<(), ChimeError> {
        match (&self.role, access) {
            (Role::Admin, _) => Ok(()),
            // A missing bearer is the operation's own BadRequestException.
            (Role::ChimeUser { .. }, ChimeAccess::AsBearer { bearer: None }) => Ok(()),
            (
                Role::ChimeUser { bearer_arn },
                ChimeAccess::AsBearer {
                    bearer: Some(bearer),
                },
            )
            | (Role::ChimeUser { bearer_arn }, ChimeAccess::OwnUser { user_arn: bearer }) => {
                if bearer == bearer_arn {
                    Ok(())
                } else {
                    Err(ChimeError::Forbidden(format!(
                        "This key may only act as {bearer_arn}."
                    )))
                }
            }
            (Role::ChimeUser { bearer_arn }, ChimeAccess::Administer) => {
                Err(ChimeError::Forbidden(format!(
                    "This key belongs to {bearer_arn}; only administrators manage app instances, users and admins."
                )))
            }
            (Role::ConnectUser { .. }, _) => Err(ChimeError::Forbidden(
                "This key is for Amazon Connect only; it may not call Chime.".into(),
            )),
        }
    }

    pub fn admin(account_id: impl Into<String>) -> Self {
        Caller {
            account_id: account_id.into(),
            role: Role::Admin,
        }
    }

    pub fn authorize_connect(&self, region: &str, access: ConnectAccess<'_>) -> ConnectResult<()> {
        match (&self.role, access) {
            (Role::Admin, _) => Ok(()),
            (
                Role::ConnectUser { user_arn },
                ConnectAccess::ActAsUser {
                    instance_id,
                    user_id,
                },
            ) => {
                let requested = arn::user_arn(
                    &arn::instance_arn(region, &self.account_id, instance_id),
                    user_id,
                );
                if *user_arn == requested {
                    Ok(())
                } else {
                    Err(ConnectError::AccessDenied(format!(
                        "This key may only read and update the notifications of {user_arn}."
                    )))
                }
            }
            (Role::ConnectUser { user_arn }, ConnectAccess::Administer) => {
                Err(ConnectError::AccessDenied(format!(
                    "This key belongs to {user_arn} and may only call ListUserNotifications and UpdateUserNotificationStatus for that user."
                )))
            }
            (Role::ChimeUser { .. }, _) => Err(ConnectError::AccessDenied(
                "This key is for Chime SDK Messaging only; it may not call Amazon Connect.".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: &str = "us-east-1";

    fn agent(user_arn: &str) -> Caller {
        Caller {
            account_id: "111122223333".into(),
            role: Role::ConnectUser {
                user_arn: user_arn.into(),
            },
        }
    }

    #[test]
    fn admins_may_do_anything_in_their_account() {
        let admin = Caller::admin("111122223333");
        assert!(
            admin
                .authorize_connect(REGION, ConnectAccess::Administer)
                .is_ok()
        );
        let own = ConnectAccess::ActAsUser {
            instance_id: "i",
            user_id: "u",
        };
        assert!(admin.authorize_connect(REGION, own).is_ok());
    }

    #[test]
    fn connect_users_reach_only_themselves() {
        let me = agent("arn:aws:connect:us-east-1:111122223333:instance/i/agent/u");
        let mine = ConnectAccess::ActAsUser {
            instance_id: "i",
            user_id: "u",
        };
        assert!(me.authorize_connect(REGION, mine).is_ok());
        let theirs = ConnectAccess::ActAsUser {
            instance_id: "i",
            user_id: "v",
        };
        assert!(matches!(
            me.authorize_connect(REGION, theirs),
            Err(ConnectError::AccessDenied(_))
        ));
        let other_instance = ConnectAccess::ActAsUser {
            instance_id: "j",
            user_id: "u",
        };
        assert!(me.authorize_connect(REGION, other_instance).is_err());
        assert!(
            me.authorize_connect(REGION, ConnectAccess::Administer)
                .is_err()
        );
    }

    #[test]
    fn chime_keys_act_only_as_their_bearer() {
        let me = "arn:aws:chime:us-east-1:111122223333:app-instance/a/user/me";
        let chime = Caller {
            account_id: "111122223333".into(),
            role: Role::ChimeUser {
                bearer_arn: me.into(),
            },
        };
        assert!(
            chime
                .authorize_chime(ChimeAccess::AsBearer { bearer: Some(me) })
                .is_ok()
        );
        assert!(
            chime
                .authorize_chime(ChimeAccess::OwnUser { user_arn: me })
                .is_ok()
        );
        let other = "arn:aws:chime:us-east-1:111122223333:app-instance/a/user/other";
        assert!(
            chime
                .authorize_chime(ChimeAccess::AsBearer {
                    bearer: Some(other)
                })
                .is_err()
        );
        assert!(
            chime
                .authorize_chime(ChimeAccess::OwnUser { user_arn: other })
                .is_err()
        );
        assert!(chime.authorize_chime(ChimeAccess::Administer).is_err());
        let agent = agent("arn:aws:connect:us-east-1:111122223333:instance/i/agent/u");
        assert!(
            agent
                .authorize_chime(ChimeAccess::AsBearer { bearer: Some(me) })
                .is_err()
        );
        assert!(
            Caller::admin("1")
                .authorize_chime(ChimeAccess::Administer)
                .is_ok()
        );
    }

    #[test]
    fn chime_users_may_not_call_connect() {
        let chime = Caller {
            account_id: "111122223333".into(),
            role: Role::ChimeUser {
                bearer_arn: "arn:aws:chime:us-east-1:111122223333:app-instance/a/user/b".into(),
            },
        };
        assert!(
            chime
                .authorize_connect(REGION, ConnectAccess::Administer)
                .is_err()
        );
        let access = ConnectAccess::ActAsUser {
            instance_id: "i",
            user_id: "u",
        };
        assert!(chime.authorize_connect(REGION, access).is_err());
    }
}
