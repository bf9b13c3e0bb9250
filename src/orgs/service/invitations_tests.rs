//! The rules of an invitation's status, without a database.

use super::*;

fn invitation(expires_at: DateTime<Utc>, accepted_at: Option<DateTime<Utc>>) -> Invitation {
    Invitation {
        id: Uuid::nil(),
        email: "kari@asker.kommune.no".into(),
        name: None,
        role: Role::Mentor,
        municipality_id: Some(Uuid::nil()),
        usht_id: None,
        created_at: expires_at - INVITATION_TTL,
        sent_at: expires_at - INVITATION_TTL,
        expires_at,
        send_count: 1,
        accepted_at,
        superseded_at: None,
        withdrawn_at: None,
        language: Language::Bokmal,
    }
}

#[test]
fn an_invitation_is_pending_until_it_expires_and_accepted_for_good() {
    let now = Utc::now();
    let later = now + Duration::days(1);
    assert_eq!(
        status_at(&invitation(later, None), now),
        InvitationStatus::Pending
    );
    assert_eq!(
        status_at(&invitation(now, None), now),
        InvitationStatus::Expired
    );
    let accepted = invitation(now - Duration::days(1), Some(now - Duration::days(2)));
    assert_eq!(status_at(&accepted, now), InvitationStatus::Accepted);
}
