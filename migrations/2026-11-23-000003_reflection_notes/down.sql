DROP TRIGGER reflection_notes_final ON reflection_notes;
DROP FUNCTION reflection_note_submitted_is_final();
DROP TABLE reflection_notes;
