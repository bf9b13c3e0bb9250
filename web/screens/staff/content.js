import { render } from '../../ui.js';
import './common.js';
export async function contentScreen() { render('contentScreen'); }
export async function previewScreen() { render('previewScreen'); }
export async function previewPageScreen() { render('previewPageScreen'); }
